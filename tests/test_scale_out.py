"""Two Rasa replicas and one action server on PostgreSQL, Redis and RabbitMQ.

The configuration is the documented one (README "Running in production"):
environment variables only. Each test run uses its own database, Redis key
prefix, RabbitMQ exchange and queue, and removes them afterwards.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from handover.store import HandOverStore
from settings.launch import LaunchSettings
from settings.read import SettingsError
from tests.helpers.agents import Agent
from tests.helpers.conversations import new_conversation, plain_id, post_json, say
from tests.helpers.servers import running_replicas
from tests.helpers.services import RABBITMQ_URL, REDIS_URL, require, throwaway_postgres_database
from tests.helpers.socketio_client import ChatClient

pytestmark = pytest.mark.e2e

OPERATOR_TOKEN = "scale-operator-" + uuid.uuid4().hex
FIGURES: dict = {}
MESSAGES = [
    "hi",
    "what if my freelancer stops answering",
    "how do i pause a contract",
    "my freelancer keeps logging hours but does nothing, mail me at jane.roe@example.com",
    "no thanks",
    "what happens if the freelancer stops responding",
    "where is the pause button",
    "thanks",
    "hello there",
    "I want to talk to a human",
]


@pytest.fixture(scope="module")
def services():
    require("Redis", REDIS_URL)
    require("RabbitMQ", RABBITMQ_URL)
    suffix = uuid.uuid4().hex[:10]
    with throwaway_postgres_database() as db_url:
        yield {
            "TRACKER_DB_URL": db_url,
            "HANDOVER_DB_URL": db_url,
            "LOCK_STORE_URL": REDIS_URL,
            "LOCK_STORE_PREFIX": f"toolkittest{suffix}",
            "EVENT_BROKER_URL": RABBITMQ_URL,
            "EVENT_BROKER_QUEUE": f"toolkit-test-events-{suffix}",
            "EVENT_BROKER_EXCHANGE": f"toolkit-test-exchange-{suffix}",
        }
        _remove_rabbitmq_objects(f"toolkit-test-events-{suffix}", f"toolkit-test-exchange-{suffix}")
        _remove_redis_keys(f"toolkittest{suffix}")


@pytest.fixture(scope="module")
def replicas(services, tmp_path_factory):
    # the action server and replica A, then replica B: ASSISTANT_SERVERS=rasa, the same action server;
    # the agent side on too, for the desk across replicas
    env = {**services, "RASA_OPERATOR_TOKEN": OPERATOR_TOKEN}
    with running_replicas(env, tmp_path_factory, "scale-out-test-key-" + "k" * 32) as (first, second):
        yield first, second


def test_one_conversation_alternating_between_two_replicas_is_whole_and_in_order(replicas, services):
    first, second = replicas
    urls = [first.settings.rasa_url, second.settings.rasa_url]
    conversation = new_conversation(urls[1])  # issued by B, used on both
    started = time.monotonic()
    for index, text in enumerate(MESSAGES):
        replies = say(urls[index % 2], conversation, text)
        assert replies and all(r.get("text") or r.get("buttons") for r in replies), (text, replies)
    assert "passed this conversation to our support team" in replies[0]["text"]
    seconds = time.monotonic() - started

    trackers = []
    for url in urls:
        status, tracker = post_json(
            f"{url}/conversations/{plain_id(conversation)}/tracker",
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        )
        assert status == 200
        trackers.append(tracker)
    assert trackers[0]["events"] == trackers[1]["events"]  # both replicas read the same store
    assert [e["text"] for e in trackers[0]["events"] if e["event"] == "user"] == MESSAGES
    assert trackers[0]["paused"] is True

    store = HandOverStore(services["HANDOVER_DB_URL"])
    record = store.open_for(plain_id(conversation))
    store.dispose()
    assert record is not None and record.status == "waiting"
    assert "[email]" in json.dumps(record.transcript) and "jane.roe@example.com" not in json.dumps(record.transcript)

    # Every event the tracker store holds was published on RabbitMQ, masked.
    published = _consume_all(services["EVENT_BROKER_QUEUE"])
    mine = [e for e in published if e.get("sender_id") == plain_id(conversation)]
    stored = {(e["event"], round(e["timestamp"], 6)) for e in trackers[0]["events"]}
    seen = {(e["event"], round(e["timestamp"], 6)) for e in mine}
    assert stored <= seen, f"{len(stored - seen)} events never reached the broker: {sorted(stored - seen)[:5]}"
    broker_text = json.dumps(mine)
    assert "[email]" in broker_text and "jane.roe@example.com" not in broker_text
    FIGURES.update(
        {
            "replicas": "2 Rasa servers + 1 action server (PostgreSQL, Redis locks, RabbitMQ events)",
            "messages alternated between the replicas": len(MESSAGES),
            "conversation whole and in order on both replicas": "yes",
            "tracker events / seen by the broker consumer": f"{len(stored)} / {len(stored & seen)}",
            "seconds for the conversation": round(seconds, 1),
        }
    )


async def test_an_agent_on_one_replica_reaches_a_client_connected_to_the_other(replicas, services):
    """socket.io emits go through Redis: the desk on replica B talks to a chat open on replica A."""
    first, second = replicas
    store = HandOverStore(services["HANDOVER_DB_URL"])
    try:
        async with ChatClient(first.settings.rasa_url) as client:
            await client.say("I want to talk to a human")
            await client.until(lambda m: m.get("handover") is True)
            # the same chat open on replica A in a client built for Rasa's own channel
            rasa_client = await ChatClient(first.settings.rasa_url, marks=False).open({"session_id": client.token})
            try:
                record = store.open_for(client.session_id)
                bob = Agent(second.settings, "bob")
                await asyncio.to_thread(bob, "POST", f"/handovers/{record.id}/claim")
                joined = await client.next()
                assert joined["text"].startswith("bob from our support team has joined")
                assert await rasa_client.next() == {"text": joined["text"]}
                await asyncio.to_thread(bob, "POST", f"/handovers/{record.id}/reply", {"text": "Hello from replica B"})
                assert await client.next() == {"text": "Hello from replica B", "from_agent": True, "agent": "bob"}
                assert await rasa_client.next() == {"text": "Hello from replica B"}  # Rasa's shape, once
                await asyncio.sleep(0.5)
                assert client.replies.empty() and rasa_client.replies.empty()
            finally:
                await rasa_client.close()
    finally:
        store.dispose()
    FIGURES["agent on replica B reaches a chat open on replica A"] = "yes (marked and Rasa-shaped clients)"


async def test_an_agent_page_on_one_replica_hears_a_client_on_the_other_once(replicas, services):
    """The live desk through Redis (JSON): the client on replica A, the agent's socket on replica B."""
    from tests.helpers.agent_socket import AgentSocket

    first, second = replicas
    store = HandOverStore(services["HANDOVER_DB_URL"])
    try:
        async with (
            AgentSocket(second.settings.rasa_url, "alice") as page,
            ChatClient(first.settings.rasa_url) as client,
        ):
            await client.say("I want to talk to a human")
            await client.until(lambda m: m.get("handover") is True)
            record = store.open_for(client.session_id)
            await page.wait_for("handover_new", id=record.id)
            await client.say("hello from replica A")
            message = await page.wait_for("client_message", handover_id=record.id)
            assert message["text"] == "hello from replica A"
            await asyncio.to_thread(Agent(first.settings, "bob"), "POST", f"/handovers/{record.id}/claim")
            await page.wait_for("handover_claimed", id=record.id)  # claimed on A, heard on B
            await asyncio.sleep(1.0)
            for event in ("handover_new", "client_message", "handover_claimed"):
                assert len(page.of(event, id=record.id) + page.of(event, handover_id=record.id)) == 1, event
    finally:
        store.dispose()
    FIGURES["agent page on replica B hears a client on replica A"] = "yes, each event once (JSON over Redis)"


def test_simultaneous_messages_to_both_replicas_are_serialised_by_the_redis_lock(replicas):
    first, second = replicas
    conversation = new_conversation(first.settings.rasa_url)
    url = "{}/webhooks/rest/webhook"
    texts = [f"what if my freelancer stops answering {i}" for i in range(6)]

    def send(i):
        replica = (first, second)[i % 2]
        return post_json(url.format(replica.settings.rasa_url), {"sender": conversation, "message": texts[i]})

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(send, range(6)))
    assert all(status == 200 and body for status, body in outcomes), outcomes
    status, tracker = post_json(
        f"{first.settings.rasa_url}/conversations/{plain_id(conversation)}/tracker",
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )
    kinds = [e["event"] for e in tracker["events"] if e["event"] in ("user", "bot")]
    users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert sorted(users) == sorted(texts)  # none lost, none twice
    # serialised: each message's reply comes before the next message is processed
    assert all(b == "bot" for a, b in zip(kinds, kinds[1:], strict=False) if a == "user")
    FIGURES["6 simultaneous messages of one conversation on both replicas"] = "all kept, each answered before the next"


def _consume_all(queue: str, settle: float = 3.0) -> list:
    """Every message now in ``queue`` (waiting ``settle`` s for the last ones to arrive)."""
    import aio_pika

    async def consume() -> list:
        connection = await aio_pika.connect_robust(RABBITMQ_URL)
        async with connection:
            channel = await connection.channel()
            q = await channel.declare_queue(queue, durable=True, passive=True)
            messages, quiet_since = [], time.monotonic()
            while time.monotonic() - quiet_since < settle:
                message = await q.get(no_ack=True, fail=False)
                if message is None:
                    await asyncio.sleep(0.2)
                    continue
                messages.append(json.loads(message.body))
                quiet_since = time.monotonic()
            return messages

    return asyncio.run(consume())


def _remove_rabbitmq_objects(queue: str, exchange: str) -> None:
    import aio_pika

    async def remove() -> None:
        connection = await aio_pika.connect_robust(RABBITMQ_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await channel.exchange_delete(exchange)

    try:
        asyncio.run(remove())
    except Exception:  # noqa: BLE001, S110 - the queue may never have been made
        pass


def _remove_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_tickets_stay_unique_when_replicas_take_them_at_the_same_moment(services):
    """The race the atomic lock store closes: many "replicas" issuing tickets for one conversation."""
    from urllib.parse import urlsplit

    from rasa.utils.endpoints import EndpointConfig

    from rasa_runtime.lock_store import AtomicRedisLockStore

    parts = urlsplit(REDIS_URL)
    config = EndpointConfig(
        url=parts.hostname,
        port=parts.port or 6379,
        db=int(parts.path.strip("/") or 0),
        key_prefix=services["LOCK_STORE_PREFIX"],
    )
    stores = [AtomicRedisLockStore(config) for _ in range(4)]
    conversation = uuid.uuid4().hex

    def take(store):
        return [store.issue_ticket(conversation) for _ in range(50)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        tickets = [t for batch in pool.map(take, stores) for t in batch]
    FIGURES["tickets taken at once by 4 processes (50 each), distinct"] = f"{len(set(tickets))}/{len(tickets)}"
    assert len(tickets) == 200 and len(set(tickets)) == 200
    for ticket in tickets:
        stores[0].cleanup(conversation, ticket)
    assert stores[0].get_lock(conversation) is None  # the last one out removed the lock


def test_the_scale_out_endpoints_come_from_environment_variables_only(tmp_path):
    import yaml

    from launcher.servers import write_endpoints

    settings = LaunchSettings.from_env(
        {
            "ASSISTANT_STATE_DIR": str(tmp_path),
            "TRACKER_DB_URL": "postgresql://rasa:s3cret@db.internal/assistant",
            "LOCK_STORE_URL": "rediss://:pw@redis.internal:6380/2",
            "LOCK_STORE_PREFIX": "assistant",
            "EVENT_BROKER_URL": "amqp://rasa:mq@mq.internal:5671",
            "ASSISTANT_SERVERS": "rasa",
            "ACTION_SERVER_URL": "http://actions.internal:5055/",
        }
    )
    path = write_endpoints(settings)
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["action_endpoint"]["url"] == "http://actions.internal:5055/webhook"
    assert endpoints["tracker_store"] == {"type": "SQL", "url": "${TRACKER_DB_URL}"}
    assert "s3cret" not in path.read_text()  # Rasa reads the URL from its environment
    lock = endpoints["lock_store"]
    assert lock["type"] == "rasa_runtime.lock_store.AtomicRedisLockStore"
    assert (lock["url"], lock["port"], lock["db"], lock["use_ssl"], lock["key_prefix"]) == (
        "redis.internal",
        6380,
        2,
        True,
        "assistant",
    )
    broker = endpoints["event_broker"]
    assert broker["type"] == "privacy.broker.MaskingPikaEventBroker"
    assert (broker["url"], broker["port"], broker["username"], broker["queues"]) == (
        "mq.internal",
        5671,
        "rasa",
        ["rasa_events"],
    )
    assert path.stat().st_mode & 0o077 == 0
    assert settings.servers == ("rasa",)


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("TRACKER_DB_URL", "db.internal", "not a database URL"),
        ("LOCK_STORE_URL", "http://redis", "redis://"),
        ("LOCK_STORE_PREFIX", "my-prefix", "letters and digits"),
        ("EVENT_BROKER_URL", "kafka://x", "amqp://"),
        ("ASSISTANT_SERVERS", "rasa nginx", "ASSISTANT_SERVERS"),
        ("ACTION_SERVER_URL", "actions:5055", "http(s) URL"),
    ],
)
def test_a_malformed_scale_out_setting_is_a_clear_error(name, value, says):
    with pytest.raises(SettingsError, match=re.escape(says)):
        LaunchSettings.from_env({name: value})
