"""GET /webhooks/rest/updates across two Rasa replicas (PostgreSQL tracker store, Redis locks).

A REST-only client waits on one replica while the agent works on the other: the
waiting call reads the shared store again every second, so the agent's words
reach it although the push happened on the other replica.
"""

from __future__ import annotations

import time
import uuid

import pytest

from handover.store import HandOverStore
from tests.helpers.agents import Agent
from tests.helpers.conversations import new_conversation, plain_id, say
from tests.helpers.longpoll import Waiting, updates
from tests.helpers.servers import running_replicas
from tests.helpers.services import REDIS_URL, require, throwaway_postgres_database

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    require("Redis", REDIS_URL)
    with throwaway_postgres_database() as db_url:
        env = {
            "TRACKER_DB_URL": db_url,
            "HANDOVER_DB_URL": db_url,
            "LOCK_STORE_URL": REDIS_URL,
            "LOCK_STORE_PREFIX": f"toolkitlongpoll{uuid.uuid4().hex[:10]}",
        }
        with running_replicas(env, tmp_path_factory, "longpoll-replicas-key-" + "k" * 32, name="lp-") as (a, b):
            yield a.settings, b.settings, db_url


def test_a_client_waiting_on_one_replica_gets_the_agent_working_on_the_other(replicas):
    first, second, db_url = replicas
    token = new_conversation(first.rasa_url)
    say(first.rasa_url, token, "I want to talk to a human")
    store = HandOverStore(db_url)
    try:
        record = store.open_for(plain_id(token))
    finally:
        store.dispose()
    assert record is not None
    cursor = updates(first, token, wait=0)[1]["cursor"]
    assert updates(second, token, wait=0)[1]["cursor"] == cursor  # the same history on both

    waiting = Waiting(second, token, cursor)  # the client waits on B
    alice = Agent(first, "alice")  # the agent works on A
    alice("POST", f"/handovers/{record.id}/claim")
    status, joined = waiting.result()
    assert status == 200 and waiting.seconds < 10
    assert [m.get("system") for m in joined["messages"]] == [True]

    waiting = Waiting(first, token, joined["cursor"])  # and the other way round
    began = time.monotonic()
    Agent(second, "alice")("POST", f"/handovers/{record.id}/reply", {"text": "Hello from the other replica"})
    status, replied = waiting.result()
    assert status == 200 and time.monotonic() - began < 10
    assert [(m["text"], m.get("from_agent")) for m in replied["messages"]] == [("Hello from the other replica", True)]
