"""A client who ends the chat, on a running assistant: its hand-over leaves the queue, once.

Over socket.io (``end_chat`` on the chat's own connection, as the widget's "End
chat" sends it) and over REST (``POST /webhooks/rest/end``, for REST-only
clients): the open hand-over ends as ``client_left``, agent pages hear
``handover_resolved`` with ``by`` null and the new counts, the clients behind it
move up in the queue, and nobody can claim it or reply to it any more. An id the
server did not sign, or none, is refused with what is wrong.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers.agent_socket import AgentSocket
from tests.helpers.agents import Agent
from tests.helpers.conversations import new_conversation, plain_id, post_json, say
from tests.helpers.socketio_client import ChatClient

pytestmark = pytest.mark.e2e

ASK = "I want to talk to a human"


def end(server, body=None, raw=None):
    return post_json(f"{server.rasa_url}/webhooks/rest/end", body, raw=raw)


async def handed_over(client, store):
    await client.say(ASK)
    await client.until(lambda m: m.get("handover") is True)
    return store.open_for(client.session_id)


async def places(client, told, timeout=5.0):
    """The places in the queue pushed to ``client`` so far, once at least one came."""
    for _ in range(int(timeout * 10)):
        if told:
            return [t["position"] for t in told]
        await asyncio.sleep(0.1)
    raise AssertionError("no place in the queue was pushed")


async def test_a_waiting_client_who_ends_the_chat_leaves_the_queue_and_the_next_moves_up(server, store):
    async with AgentSocket(server.rasa_url, "alice") as alice, ChatClient(server.rasa_url) as leaving:
        record = await handed_over(leaving, store)
        async with ChatClient(server.rasa_url) as behind:
            told = []
            behind.client.on("queue_position", told.append)
            behind_record = await handed_over(behind, store)
            place = (await places(behind, told))[-1]
            assert place >= 2  # the leaving client is ahead of it
            answer = await leaving.client.call("end_chat", {"session_id": leaving.token}, timeout=10)
            assert answer == {"ended": True, "handover_ended": True}
            resolved = await alice.wait_for("handover_resolved", id=record.id)
            assert resolved["by"] is None and resolved["handover"]["outcome"] == "client_left"
            assert resolved["queue"] == store.open_counts()  # the page recounts without fetching the queue
            for _ in range(50):
                if told[-1]["position"] == place - 1:
                    break
                await asyncio.sleep(0.1)
            assert told[-1]["position"] == place - 1, told  # the client behind it moved up
        assert store.open_for(leaving.session_id) is None
        assert store.get(record.id).outcome == "client_left"
        Agent(server, "alice")("POST", f"/handovers/{record.id}/claim", expect=409)  # nobody to answer
        again = await leaving.client.call("end_chat", {"session_id": leaving.token}, timeout=10)
        assert again == {"ended": True, "handover_ended": False}  # nothing left to end: harmless
        assert [e.kind for e in store.events(record.id)].count("client_left") == 1
        assert store.get(behind_record.id).status == "waiting"


async def test_a_claimed_chat_the_client_ends_closes_the_agent_s_reply_box(server, store, alice):
    async with ChatClient(server.rasa_url) as client:
        record = await handed_over(client, store)
        alice("POST", f"/handovers/{record.id}/claim")
        answer = await client.client.call("end_chat", {"session_id": client.token}, timeout=10)
        assert answer["handover_ended"] is True
    detail = alice("GET", f"/handovers/{record.id}")
    assert detail["status"] == "resolved" and detail["outcome"] == "client_left" and detail["claimed_by"] == "alice"
    assert detail["events"][-1]["kind"] == "client_left"
    refused = alice("POST", f"/handovers/{record.id}/reply", {"text": "Are you still there?"}, expect=409)
    assert "already resolved" in refused["error"]


async def test_end_chat_over_socket_io_refuses_an_id_that_is_not_the_connection_s(server, store):
    other = new_conversation(server.rasa_url)
    async with ChatClient(server.rasa_url) as client:
        record = await handed_over(client, store)
        forged = client.token[:-4] + ("AAAA" if not client.token.endswith("AAAA") else "BBBB")
        for data, status, words in (
            ({"session_id": other}, 403, "not the conversation this connection was given"),
            ({"session_id": forged}, 403, "not the conversation this connection was given"),
            ({}, 400, "'end_chat' takes"),
            ("end", 400, "'end_chat' takes"),
        ):
            answer = await client.client.call("end_chat", data, timeout=10)
            assert answer["status"] == status and words in answer["error"], answer
            rejected = await asyncio.wait_for(client.rejections.get(), 5)
            assert rejected["status"] == status
        assert store.open_for(client.session_id).id == record.id  # still waiting: nothing was ended


def test_a_rest_client_ends_its_chat_with_its_signed_id(server, store):
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, ASK)
    record = store.open_for(plain_id(token))
    assert record is not None
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    status, answer = end(server, {"sender": forged})
    assert status == 403 and "not a conversation id this server issued" in answer["error"]
    status, answer = end(server, {"sender": plain_id(token)})  # the bare id, unsigned
    assert status == 403
    status, answer = end(server, {})
    assert status == 400 and "'sender' is missing" in answer["error"]
    status, answer = end(server, raw=b"[1, 2]")
    assert status == 400 and "must be a JSON object" in answer["error"]
    status, answer = end(server, raw=b"not json")
    assert status == 400
    assert store.open_for(plain_id(token)).id == record.id  # none of these ended it

    status, answer = end(server, {"sender": token})
    assert status == 200 and answer == {"ended": True, "handover_ended": True}
    assert store.get(record.id).outcome == "client_left" and store.open_for(plain_id(token)) is None
    status, answer = end(server, {"sender": token})
    assert status == 200 and answer["handover_ended"] is False
    fresh = new_conversation(server.rasa_url)  # a chat that never had a hand-over
    assert end(server, {"sender": fresh}) == (200, {"ended": True, "handover_ended": False})
    replies = say(server.rasa_url, token, "hello")  # the conversation starts afresh with the bot
    assert replies and not any(r.get("handover") for r in replies)
