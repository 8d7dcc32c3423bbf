"""The Rasa server as the launcher starts it (rasa_runtime/): faster, same answers."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
import rasa.core.tracker_store as tracker_store
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain

from launcher.model import current_model
from rasa_runtime import remote_action, spacy_cache, sqlite, train_schema, warm_up
from tests.helpers.conversations import new_conversation, say
from tests.helpers.paths import ROOT


@pytest.fixture
def validator_built_once(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    remote_action.install_validator_built_once()
    return RemoteAction("action_send_pause_link", None)


def test_a_valid_action_server_reply_passes(validator_built_once):
    reply = {
        "events": [{"event": "slot", "name": "link_sent", "value": "https://example.com"}],
        "responses": [{"response": "utter_pause_link", "link_url": "https://example.com"}],
    }
    assert validator_built_once._validate_action_result(reply) is True


@pytest.mark.parametrize(
    "reply",
    [
        {"events": "not a list"},
        {"events": [{"name": "an event without its kind"}]},
        {"responses": {"text": "not a list"}},
    ],
)
def test_an_invalid_action_server_reply_is_still_refused_with_rasas_explanation(validator_built_once, reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        validator_built_once._validate_action_result(reply)


@pytest.fixture
def sqlite_settings(monkeypatch):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    monkeypatch.setattr(tracker_store, "create_engine_kwargs", tracker_store.create_engine_kwargs)
    sqlite.install_sqlite_tracker_store_settings()
    yield
    event.remove(Engine, "connect", sqlite.sqlite_write_ahead_log)


def test_the_sqlite_tracker_store_keeps_its_connection_and_writes_ahead(sqlite_settings, tmp_path):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    store = tracker_store.SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    assert type(store.engine.pool).__name__ == "SingletonThreadPool"
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    tracker = DialogueStateTracker("client-1", domain.slots)
    tracker.update(UserUttered("my freelancer stopped answering"))
    asyncio.run(store.save(tracker))
    stored = asyncio.run(store.retrieve("client-1"))
    assert stored.latest_message.text == "my freelancer stopped answering"
    assert (tmp_path / "tracker.db-wal").is_file()


def test_other_databases_keep_rasas_own_engine_settings(sqlite_settings):
    url = "postgresql://postgres@127.0.0.1:5432/test"
    assert "poolclass" not in tracker_store.create_engine_kwargs(url)


def test_the_warm_up_parses_and_predicts_but_stores_no_conversation(tmp_path):
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import InMemoryTrackerStore

    model = current_model()
    if model is None:
        pytest.fail("no current model: run `make test`, which trains it")
    agent = Agent.load(str(model))
    agent.tracker_store = InMemoryTrackerStore(agent.domain)
    seconds = asyncio.run(warm_up.warm_up(agent))
    assert seconds is not None and seconds >= 0
    assert list(asyncio.run(agent.tracker_store.keys())) == []


def test_the_spacy_pipeline_is_loaded_once_and_again_after_a_rebuild(monkeypatch, tmp_path):
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    loads = []
    original = SpacyNLP.load_model

    def counting(name):
        loads.append(name)
        return original(name)

    monkeypatch.setattr(SpacyNLP, "load_model", staticmethod(counting))
    spacy_cache.install_spacy_model_cache()
    pipeline = tmp_path / "spacy_toolkit_en"
    shutil.copytree(ROOT / "build" / "spacy_toolkit_en", pipeline)
    first = SpacyNLP.load_model(str(pipeline))
    second = SpacyNLP.load_model(str(pipeline))
    assert second is first and len(loads) == 1
    assert [t.lemma_ for t in first.model("billed hours")] == ["bill", "hour"]
    meta = pipeline / "meta.json"
    # the pipeline rebuilt: its files are newer
    os.utime(meta, ns=(meta.stat().st_atime_ns, meta.stat().st_mtime_ns + 10**9))
    assert SpacyNLP.load_model(str(pipeline)) is not first and len(loads) == 2


@pytest.mark.e2e
def test_the_served_assistant_answers_without_loading_tensorflow_or_matplotlib(desk_assistant):
    # Rasa imports both at start whatever the pipeline; ours needs neither (README "Performance")
    conversation = new_conversation(desk_assistant.settings.rasa_url)
    replies = say(desk_assistant.settings.rasa_url, conversation, "my freelancer stopped answering and still bills")
    assert any("pause" in reply.get("text", "").lower() for reply in replies)
    maps = Path(f"/proc/{desk_assistant.processes['rasa'].pid}/maps").read_text()
    assert "spacy" in maps or "thinc" in maps or "numpy" in maps  # it is the server's own map
    assert "tensorflow" not in maps
    assert "matplotlib" not in maps


def test_the_model_loads_with_its_training_graph_read_only_when_asked_for(monkeypatch):
    from rasa.engine.graph import GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.storage import ModelMetadata

    model = current_model()
    if model is None:
        pytest.fail("no current model: run `make test`, which trains it")
    rasa_metadata = LocalModelStorage.metadata_from_archive(model)
    monkeypatch.setattr(ModelMetadata, "from_dict", ModelMetadata.__dict__["from_dict"])
    train_schema.install_train_schema_on_demand()

    metadata = LocalModelStorage.metadata_from_archive(model)
    assert metadata.predict_schema == rasa_metadata.predict_schema
    assert isinstance(metadata.train_schema, GraphSchema)
    assert metadata.train_schema._nodes is None  # nothing of it resolved yet
    assert metadata.train_schema.as_dict() == rasa_metadata.train_schema.as_dict()
    assert metadata.train_schema.target_names == rasa_metadata.train_schema.target_names
