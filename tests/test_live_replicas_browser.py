"""Two replicas in a browser: the client on replica A, the agent's page on replica B, live through Redis.

PostgreSQL holds the conversations and hand-overs, Redis the locks and the
socket.io channel between the replicas (JSON, channels/scaleout.py). The agent
page on B shows the hand-over the client made on A in under a second, and the
client's next message in the claimed conversation. (The agent's reply from B
reaching a chat open on A: tests/test_scale_out.py.)
"""

from __future__ import annotations

import uuid

import pytest

from handover.store import HandOverStore
from tests.helpers.agents import AGENTS, call
from tests.helpers.conversations import new_conversation, plain_id
from tests.helpers.servers import running_replicas
from tests.helpers.services import REDIS_URL, require, throwaway_postgres_database

pytestmark = pytest.mark.e2e

LIVE_LIMIT_MS = 1000


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    require("Redis", REDIS_URL)
    prefix = "toolkitlive" + uuid.uuid4().hex[:10]
    with throwaway_postgres_database() as db_url:
        env = {
            "TRACKER_DB_URL": db_url,
            "HANDOVER_DB_URL": db_url,
            "LOCK_STORE_URL": REDIS_URL,
            "LOCK_STORE_PREFIX": prefix,
        }
        with running_replicas(env, tmp_path_factory, "live-replicas-test-key-" + "k" * 32) as (first, second):
            yield first.settings, second.settings, db_url


def say(server, token, text):
    status, replies, _ = call(f"{server.rasa_url}/webhooks/rest/webhook", "POST", {"sender": token, "message": text})
    assert status == 200, replies
    return replies


def test_the_agent_on_replica_b_sees_the_client_on_replica_a_live(browser, replicas):
    first, second, db_url = replicas
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{second.rasa_url}/agent/")
    page.fill("#token", AGENTS["alice"])
    page.click("button[type=submit]")
    page.wait_for_selector("#live.on", timeout=15000)

    token = new_conversation(first.rasa_url)
    say(first, token, "I want to talk to a human")  # on replica A
    store = HandOverStore(db_url)
    try:
        record = store.open_for(plain_id(token))
    finally:
        store.dispose()
    card = page.locator(f'.queue-button[data-id="{record.id}"]')
    card.wait_for(timeout=LIVE_LIMIT_MS)  # on replica B's page, no reload
    card.click()
    page.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    page.click("#claim")
    page.wait_for_selector("#h-status.claimed")

    say(first, token, "thanks, here is my question")
    page.locator("#transcript .from-client .text", has_text="here is my question").wait_for(timeout=LIVE_LIMIT_MS)
    page.fill("#reply-text", "Hello from replica B")
    page.click("#send")
    page.locator("#transcript .from-agent .text", has_text="Hello from replica B").wait_for(timeout=10000)
    page.click("#close")
    page.wait_for_selector("#h-status.resolved", timeout=10000)
    page.context.close()
