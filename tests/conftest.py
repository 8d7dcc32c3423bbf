"""Shared fixtures: the real domain, trackers built from events, a throw-away store."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seed" / "000_997f96f92d39cb85.txt"


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """domain.yml as the action server receives it (responses, slots, ...)."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def user_event(text: str, intent: str, confidence: float = 0.98, entities=None, ranking=None) -> Dict[str, Any]:
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
    }
    return {"event": "user", "text": text, "timestamp": time.time(), "parse_data": parse}


def bot_event(text: str, **metadata: Any) -> Dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": time.time(), "data": {}, "metadata": metadata}


def make_tracker(
    events: List[Dict[str, Any]],
    slots: Optional[Dict[str, Any]] = None,
    sender_id: str = "client-1",
) -> Tracker:
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=[{"event": "session_started", "timestamp": time.time()}] + events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test run only, dropped at the end.

    Skips when no server answers at TEST_POSTGRES_URL (default: the loopback
    server's ``test`` database), but fails under CI, where one must answer.
    """
    import sqlalchemy as sa

    admin = sa.engine.make_url(POSTGRES_ADMIN_URL)
    try:
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            name = f"toolkit_test_{uuid.uuid4().hex[:12]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001 - any failure means "not here"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} under CI: {e}")
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    try:
        yield str(admin.set(database=name).render_as_string(hide_password=False))
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_settings(state_dir: Path, **overrides: Any):
    """Settings of a throw-away assistant: free loopback ports, its own state."""
    from launcher.servers import Settings

    values = dict(
        rasa_port=free_port(),
        action_port=free_port(),
        state_dir=state_dir,
        handover_db_url=f"sqlite:///{state_dir / 'handovers.db'}",
    )
    values.update(overrides)
    return Settings(**values)


def new_conversation(rasa_url: str) -> str:
    """A conversation id issued by the server (the only kind it accepts)."""
    req = urllib.request.Request(f"{rasa_url}/webhooks/rest/conversations", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["conversation_id"]


def post_json(url: str, body: Any = None, headers: Optional[Dict[str, str]] = None, raw: Optional[bytes] = None):
    """(status, decoded JSON or None) of a POST (or a GET when there is no body)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        payload = e.read()
        try:
            return e.code, json.loads(payload or b"null")
        except ValueError:
            return e.code, payload.decode("utf-8", "replace")


def say(rasa_url: str, conversation: str, text: str) -> List[Dict[str, Any]]:
    """The bot's replies to ``text`` in ``conversation`` (a token from new_conversation)."""
    status, replies = post_json(f"{rasa_url}/webhooks/rest/webhook", {"sender": conversation, "message": text})
    assert status == 200, replies
    return replies


def plain_id(conversation: str) -> str:
    """The id Rasa, the tracker store and the hand-over store know a conversation by."""
    return conversation.split(".", 1)[0]


@contextmanager
def running_assistant(settings, log_dir: Path):
    """Both servers of the current model, started as `make run` starts them."""
    from launcher.model import current_model
    from launcher.servers import Assistant

    model = current_model()
    if model is None:
        pytest.fail("no current model: run `make test`, which trains it")
    with Assistant(settings, model, log_dir=log_dir) as running:
        running.wait_until_ready()
        yield running


AGENTS = {"alice": "alice-token-" + uuid.uuid4().hex, "bob": "bob-token-" + uuid.uuid4().hex}


def agent_env(**more: str) -> Dict[str, str]:
    """Environment that turns the agent side on for the two test agents."""
    tokens = " ".join(f"{name}:{token}" for name, token in AGENTS.items())
    return {"ASSISTANT_AGENT_TOKENS": tokens, "DESK_CHECK_INTERVAL_SECONDS": "0.5", **more}


@pytest.fixture(scope="session")
def desk_assistant(tmp_path_factory):
    """One assistant with the agent side on, shared by the desk API and agent page tests."""
    state = tmp_path_factory.mktemp("desk-state")
    settings = local_settings(state, env=agent_env())
    with running_assistant(settings, tmp_path_factory.mktemp("desk-logs")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright, for one test module (closed before
    the next, so it never overlaps the asyncio tests)."""
    from playwright.sync_api import sync_playwright

    from tests.test_widget_browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def handover_store(tmp_path, monkeypatch):
    """The actions' store, pointed at an SQLite file of this test only."""
    from actions import handover
    from actions.handover_store import HandOverStore

    store = HandOverStore(f"sqlite:///{tmp_path / 'handovers.db'}")
    handover.set_store(store)
    yield store
    handover.set_store(None)
    store.dispose()


FIGURE_MODULES = {
    "tests.test_nlu_quality": "NLU quality on tests/nlu/test_nlu.yml",
    "tests.test_nlu_typos": "Typo robustness on tests/nlu/test_nlu.yml, clean and noisy",
    "tests.test_hostile_input": "Hostile input (fuzz)",
    "tests.test_reliability": "Concurrency and faults",
    "tests.test_scale_out": "Scale-out on PostgreSQL, Redis and RabbitMQ",
}


def pytest_terminal_summary(terminalreporter):
    """Print the measured figures (model quality, fuzz, load, faults), so every run shows them."""
    import sys

    reliability = {}
    for module, title in FIGURE_MODULES.items():
        figures = getattr(sys.modules.get(module), "FIGURES", {})
        if figures:
            terminalreporter.section(title)
            for name, value in figures.items():
                terminalreporter.write_line(f"{name}: {value}")
            if module not in ("tests.test_nlu_quality", "tests.test_nlu_typos"):
                reliability[title] = figures
    if reliability:
        out = ROOT / "test-artifacts"
        out.mkdir(exist_ok=True)
        (out / "reliability.json").write_text(json.dumps(reliability, indent=2) + "\n", encoding="utf-8")
