"""The SQL tracker store with prepared statements (rasa_runtime/tracker_store.py) stores and reads as Rasa's does."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, List

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_runtime import tracker_store
from tests.helpers.paths import ROOT


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request, tmp_path, monkeypatch, rasa_domain):
    """(Rasa's own store, ours) on one database: each writes its own conversations."""
    rasa_save, rasa_retrieve = SQLTrackerStore.save, SQLTrackerStore._retrieve
    monkeypatch.setattr(SQLTrackerStore, "save", rasa_save)  # undone after the test
    monkeypatch.setattr(SQLTrackerStore, "_retrieve", rasa_retrieve)

    class RasasStore(SQLTrackerStore):
        save = rasa_save
        _retrieve = rasa_retrieve

    tracker_store.install()
    if request.param == "sqlite":
        where = {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    else:
        url = sa.engine.make_url(request.getfixturevalue("postgres_url"))
        where = {"dialect": "postgresql", "host": url.host, "port": url.port, "db": url.database}
        where["username"] = url.username
    rasas, ours = RasasStore(rasa_domain, **where), SQLTrackerStore(rasa_domain, **where)
    assert type(ours).save is not rasa_save
    yield rasas, ours, uuid.uuid4().hex[:8]  # the PostgreSQL database is the whole run's
    rasas.engine.dispose()
    ours.engine.dispose()


def user(text: str, at: float, intent: Any = "report_freelancer_concern") -> UserUttered:
    parsed = {"text": text, "intent": {"name": intent, "confidence": 0.93} if intent else {}, "entities": []}
    return UserUttered(text, parsed["intent"] or None, [], parse_data=parsed, timestamp=at)


# One conversation as the Rasa server stores it, message by message: each turn is
# read back from the store, extended and saved, and the third starts a new session.
TURNS: List[List[Event]] = [
    [
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=1.0),
        ActionExecuted("action_listen", timestamp=1.0),
        user("my freelancer stopped answering", 2.0),
        ActionExecuted("action_send_concern_script", timestamp=2.1),
        BotUttered("I'm sorry to hear that ...", {"elements": None}, timestamp=2.1),
        SlotSet("script_sent", "concern", timestamp=2.1),
        ActionExecuted("action_listen", timestamp=2.2),
    ],
    [user("asdfgh", 3.0, intent=None), ActionExecuted("action_listen", timestamp=3.1)],
    [
        ActionExecuted("action_session_start", timestamp=100.0),
        SessionStarted(timestamp=100.0),
        ActionExecuted("action_listen", timestamp=100.0),
        user("what if my freelancer misses the deadline?", 101.0, intent="ask_what_if"),
        ActionExecuted("action_listen", timestamp=101.1),
    ],
    [user("thanks", 102.0, intent="thank"), ActionExecuted("action_listen", timestamp=102.1)],
]


def talk(store: SQLTrackerStore, sender: str, domain: Domain) -> None:
    for turn in TURNS:
        tracker = asyncio.run(store.retrieve(sender)) or DialogueStateTracker(sender, domain.slots)
        for event in turn:
            tracker.update(event)
        asyncio.run(store.save(tracker))


def stored_rows(store: SQLTrackerStore, sender: str) -> List[tuple]:
    events = SQLTrackerStore.SQLEvent.__table__
    query = (
        sa.select(events.c.type_name, events.c.timestamp, events.c.intent_name, events.c.action_name, events.c.data)
        .where(events.c.sender_id == sender)
        .order_by(events.c.id)
    )
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def as_dicts(tracker: DialogueStateTracker) -> List[dict]:
    return [event.as_dict() for event in tracker.events]


def test_a_conversation_is_stored_row_for_row_as_rasa_stores_it(stores, rasa_domain):
    rasas, ours, run = stores
    talk(rasas, f"by-rasa-{run}", rasa_domain)
    talk(ours, f"by-us-{run}", rasa_domain)
    expected = stored_rows(rasas, f"by-rasa-{run}")
    assert len(expected) == sum(len(turn) for turn in TURNS)  # each event once
    assert stored_rows(ours, f"by-us-{run}") == expected
    intents = [row[2] for row in expected if row[0] == "user"]
    assert intents == ["report_freelancer_concern", None, "ask_what_if", "thank"]


def test_the_latest_session_and_the_whole_conversation_read_back_as_rasas_do(stores, rasa_domain):
    rasas, ours, run = stores
    talk(rasas, f"by-rasa-{run}", rasa_domain)
    # what Rasa's own store wrote, read by both
    latest = asyncio.run(ours.retrieve(f"by-rasa-{run}"))
    assert as_dicts(latest) == as_dicts(asyncio.run(rasas.retrieve(f"by-rasa-{run}")))
    assert latest.latest_message.text == "thanks"
    assert len(latest.events) == len(TURNS[2]) + len(TURNS[3])  # from the newest session on
    whole = asyncio.run(ours.retrieve_full_tracker(f"by-rasa-{run}"))
    assert as_dicts(whole) == as_dicts(asyncio.run(rasas.retrieve_full_tracker(f"by-rasa-{run}")))
    assert len(whole.events) == sum(len(turn) for turn in TURNS)
    assert asyncio.run(ours.retrieve("nobody")) is None


def test_a_second_save_of_the_same_tracker_adds_nothing(stores, rasa_domain):
    _, ours, run = stores
    talk(ours, f"by-us-{run}", rasa_domain)
    before = stored_rows(ours, f"by-us-{run}")
    asyncio.run(ours.save(asyncio.run(ours.retrieve(f"by-us-{run}"))))
    assert stored_rows(ours, f"by-us-{run}") == before
