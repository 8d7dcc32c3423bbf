"""The Redis channel between replicas carries JSON, and a pickled message on it is never loaded."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import uuid

import pytest

from channels.scaleout import JsonRedisManager, decode
from channels.webchat import message_queue
from settings.channels import ChannelSettings
from tests.helpers.services import REDIS_URL, require

UNPICKLED = []


def _unpickled_marker(*args):
    """Called only if someone unpickles the hostile message below."""
    UNPICKLED.append(args)
    return {"method": "emit", "event": "owned", "data": None, "namespace": "/"}


class Hostile:
    def __reduce__(self):
        return (_unpickled_marker, ("code ran",))


@pytest.fixture
async def manager():
    require("Redis", REDIS_URL)
    import socketio

    channel = "toolkit-test-json-" + uuid.uuid4().hex[:10]
    mgr = JsonRedisManager(REDIS_URL, channel=channel)
    socketio.AsyncServer(async_mode="asgi", client_manager=mgr)  # sets the manager's server
    handled = []

    async def record(message):
        handled.append(message)

    mgr._handle_emit = record  # what python-socketio would do with a message it accepted
    mgr.initialize()  # starts the listener
    await asyncio.sleep(0.3)  # subscribed
    mgr.handled = handled
    yield mgr
    mgr.thread.cancel()
    await mgr.redis.aclose() if hasattr(mgr.redis, "aclose") else await mgr.redis.close()


def test_the_assistant_uses_the_json_manager_for_scale_out():
    kwargs = message_queue(ChannelSettings(socketio_queue=REDIS_URL, socketio_channel="toolkit-test"))
    assert type(kwargs["client_manager"]) is JsonRedisManager
    assert message_queue(ChannelSettings()) == {}


async def test_an_emit_is_published_as_json_text(manager):
    import redis.asyncio as aioredis

    watcher = aioredis.Redis.from_url(REDIS_URL)
    pubsub = watcher.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(manager.channel)
    await manager.server.emit(
        "handover_new", {"handover_id": 7, "text": "hé, “quoted”"}, namespace="/agents", room="agents"
    )
    raw = None
    for _ in range(50):
        got = await pubsub.get_message(timeout=0.1)
        if got:
            raw = got["data"]
            break
    await pubsub.unsubscribe(manager.channel)
    await watcher.close()
    assert raw is not None, "nothing was published"
    assert raw[:1] != b"\x80"  # not a pickle
    message = json.loads(raw.decode("utf-8"))
    assert message["method"] == "emit" and message["event"] == "handover_new"
    assert message["data"] == {"handover_id": 7, "text": "hé, “quoted”"}
    assert (message["namespace"], message["room"]) == ("/agents", "agents")
    await asyncio.sleep(0.3)
    assert [m["event"] for m in manager.handled] == ["handover_new"]  # read back as JSON, handled once


async def test_a_pickled_message_on_the_channel_is_ignored_with_a_log_line_and_never_loaded(manager, caplog):
    import redis.asyncio as aioredis

    caplog.set_level(logging.WARNING, logger="channels.scaleout")
    writer = aioredis.Redis.from_url(REDIS_URL)
    await writer.publish(manager.channel, pickle.dumps(Hostile()))
    await writer.publish(manager.channel, b"not json at all")
    await writer.publish(manager.channel, json.dumps({"method": "emit", "event": "fine", "data": 1}).encode())
    await writer.close()
    for _ in range(30):
        if manager.handled:
            break
        await asyncio.sleep(0.1)
    assert UNPICKLED == []  # the pickle was never loaded
    assert [m["event"] for m in manager.handled] == ["fine"]  # only the JSON message was handled
    logged = [r.getMessage() for r in caplog.records]
    assert any("ignored a pickled message" in line for line in logged), logged
    assert any("not JSON" in line for line in logged), logged


@pytest.mark.parametrize("raw", [b"[1, 2]", b'{"no": "method"}', b"\xff\xfe", 42])
def test_decode_refuses_what_is_not_a_json_message(raw, caplog):
    caplog.set_level(logging.WARNING, logger="channels.scaleout")
    assert decode(raw, "c") is None
    assert caplog.records and "ignored" in caplog.records[-1].getMessage()
