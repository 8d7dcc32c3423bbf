"""The live desk on a running assistant: pushes to agent sockets, and what no one else may do with them.

Agent pages connect to the namespace /agents with a ticket; these tests drive
that socket as the page does (tests/helpers/agent_socket.py), beside clients
on REST and on the widget's socket.io.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from desk.live import Tickets
from tests.helpers.agent_socket import AgentSocket, ticket_for
from tests.helpers.agents import AGENTS, Agent, call
from tests.helpers.conversations import new_conversation, plain_id, say
from tests.helpers.socketio_client import ChatClient

pytestmark = pytest.mark.e2e

ASK = "I want to talk to a human"


async def asay(server, token, text):
    return await asyncio.to_thread(say, server.rasa_url, token, text)


async def refused(url, auth):
    """The reason the server gives for refusing an /agents connection with ``auth``."""
    import socketio

    socket = AgentSocket(url, auth=auth)
    reasons = []
    socket.client.on("connect_error", reasons.append, namespace="/agents")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await socket.connect()
    await socket.client.disconnect()
    assert reasons, "refused without a reason"
    return str(reasons[0].get("message") if isinstance(reasons[0], dict) else reasons[0])


# --- the ticket ------------------------------------------------------------------------------


def test_a_ticket_needs_an_agent_credential(server):
    status, answer, _ = call(f"{server.rasa_url}/agent/api/socket-ticket")
    assert status == 401 and "agent credential" in answer["error"]
    status, answer, _ = call(f"{server.rasa_url}/agent/api/socket-ticket", token=AGENTS["alice"])
    assert status == 200 and answer["ticket"].startswith("alice.") and answer["namespace"] == "/agents"
    assert answer["live"] is True and 0 < answer["expires_in"] <= 120


async def test_no_forged_or_expired_ticket_opens_the_agents_socket(server):
    url = server.rasa_url
    good = ticket_for(url, "alice")
    name, expiry, signature = good.rsplit(".", 2)
    assert "no ticket" in await refused(url, {})
    assert "no ticket" in await refused(url, {"token": AGENTS["alice"]})
    assert "not valid" in await refused(url, {"ticket": f"bob.{expiry}.{signature}"})  # alice's, renamed
    assert "not valid" in await refused(url, {"ticket": f"alice.{int(expiry) + 3600}.{signature}"})  # longer life
    assert "not valid" in await refused(url, {"ticket": f"alice.{expiry}.{'0' * 64}"})
    assert "malformed" in await refused(url, {"ticket": "alice"})
    expired = Tickets(AGENTS).issue("alice", at=time.time() - 3600)
    assert "expired" in await refused(url, {"ticket": expired})
    async with AgentSocket(url, auth={"ticket": good}) as socket:  # the real one still works
        assert socket.client.connected


async def test_a_client_socket_cannot_open_the_agents_namespace_nor_hear_its_events(server, store):
    async with AgentSocket(server.rasa_url, "alice") as alice:
        async with ChatClient(server.rasa_url) as client:
            heard = []
            for event in ("handover_new", "client_message", "handover_claimed", "note_added"):
                client.client.on(event, lambda data, e=event: heard.append((e, data)))
            # a chat trying its way into the agents' namespace or rooms
            assert "no ticket" in await refused(server.rasa_url, {"session_id": client.token})
            for event, data in (("join", {"room": "agents"}), ("enter_room", "agents"), ("subscribe", "agents")):
                await client.emit(event, data)
            await client.say(ASK)
            await client.until(lambda m: m.get("handover") is True)
            record = store.open_for(client.session_id)
            await alice.wait_for("handover_new", id=record.id)
            await client.say("is anyone there? write to me at jo@example.com")
            await alice.wait_for("client_message", handover_id=record.id)
            await asyncio.sleep(0.5)
            assert heard == []  # nothing of the agents' reached the chat


# --- what agent pages get ---------------------------------------------------------------------


async def test_each_step_reaches_every_agent_socket_once_within_a_second(server, store):
    alice, bob = Agent(server, "alice"), Agent(server, "bob")
    async with AgentSocket(server.rasa_url, "alice") as page_a, AgentSocket(server.rasa_url, "bob") as page_b:
        token = new_conversation(server.rasa_url)
        await asay(server, token, ASK)
        record = store.open_for(plain_id(token))
        said = time.monotonic()
        await asay(server, token, "my card is 4111 1111 1111 1111 and mail jo@example.com")
        for page in (page_a, page_b):
            new = await page.wait_for("handover_new", id=record.id)
            assert new["handover"]["conversation_id"] == plain_id(token) and new["handover"]["status"] == "waiting"
            message = await page.wait_for("client_message", handover_id=record.id)
            assert message["conversation_id"] == plain_id(token) and message["time"]
            assert "jo@example.com" not in message["text"] and "4111" not in message["text"]  # masked as stored
            assert [t for n, d, t in page.events if n == "client_message" and d["handover_id"] == record.id][
                0
            ] < said + 1
        await asyncio.to_thread(bob, "POST", f"/handovers/{record.id}/claim")
        claimed = await page_a.wait_for("handover_claimed", id=record.id)
        assert claimed["by"] == "bob" and claimed["handover"]["claimed_by"] == "bob"
        # the queue's counts right after the step come with it: a page needs no fetch to recount
        assert claimed["queue"] == await asyncio.to_thread(store.open_counts)
        assert claimed["queue"]["claimed"] >= 1
        await page_b.wait_for("handover_yours", handover_id=record.id)  # bob's own pages only
        await asyncio.to_thread(bob, "POST", f"/handovers/{record.id}/release")
        await page_a.wait_for("handover_released", id=record.id)
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/claim")
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/resolve", {"outcome": "resumed"})
        resolved = await page_b.wait_for("handover_resolved", id=record.id)
        assert resolved["by"] == "alice" and resolved["handover"]["outcome"] == "resumed"
        await asyncio.sleep(0.5)
        for page in (page_a, page_b):
            for event in ("handover_new", "client_message", "handover_released", "handover_resolved"):
                assert len(page.of(event, id=record.id) + page.of(event, handover_id=record.id)) == 1, event
            assert [e["by"] for e in page.of("handover_claimed", id=record.id)] == ["bob", "alice"]
        # each claim's private event reached the claiming agent's page only: bob's claim, then alice's
        assert len(page_a.of("handover_yours")) == 1 and len(page_b.of("handover_yours")) == 1


async def test_an_agent_cannot_subscribe_to_another_agents_private_events(server, store):
    async with AgentSocket(server.rasa_url, "alice") as alice_page:
        for event, data in (
            ("subscribe", {"room": "agent:bob"}),
            ("join", "agent:bob"),
            ("enter_room", {"room": "agent:bob"}),
        ):
            await alice_page.emit(event, data)
            error = await alice_page.wait_for("desk_error")
            assert "only 'typing'" in error["error"]
            alice_page.events.clear()
        token = new_conversation(server.rasa_url)
        await asay(server, token, ASK)
        record = store.open_for(plain_id(token))
        await asyncio.to_thread(Agent(server, "bob"), "POST", f"/handovers/{record.id}/claim")
        await alice_page.wait_for("handover_claimed", id=record.id)
        await asyncio.sleep(0.5)
        assert alice_page.of("handover_yours") == []  # bob's, never alice's
        await asyncio.to_thread(Agent(server, "bob"), "POST", f"/handovers/{record.id}/resolve", {"outcome": "closed"})


@pytest.mark.parametrize(
    "data, says",
    [
        (None, "'typing' takes"),
        ("typing", "'typing' takes"),
        ({"handover_id": 1}, "'typing' takes"),
        ({"handover_id": 1, "typing": True, "room": "agent:bob"}, "'typing' takes"),
        ({"handover_id": "1", "typing": True}, "positive whole number"),
        ({"handover_id": True, "typing": True}, "positive whole number"),
        ({"handover_id": 1, "typing": "yes"}, "true or false"),
        ({"handover_id": 999999, "typing": True}, "not claimed by you"),
    ],
)
async def test_a_malformed_or_forged_typing_event_is_refused_with_a_clear_error(server, data, says):
    async with AgentSocket(server.rasa_url, "alice") as page:
        await page.emit("typing", data)
        assert says in (await page.wait_for("desk_error"))["error"]
        assert page.client.connected  # refused, not thrown out


async def test_the_claiming_agent_s_typing_reaches_the_client_and_no_one_else_s_does(server, store):
    async with ChatClient(server.rasa_url) as client, AgentSocket(server.rasa_url, "alice") as alice:
        typing = []
        client.client.on("agent_typing", typing.append)
        positions = []
        client.client.on("queue_position", positions.append)
        await client.say(ASK)
        await client.until(lambda m: m.get("handover") is True)
        record = store.open_for(client.session_id)
        for _ in range(20):
            if positions:
                break
            await asyncio.sleep(0.1)
        assert positions and positions[-1]["position"] >= 1  # its place in the queue, pushed
        async with AgentSocket(server.rasa_url, "bob") as bob:
            await bob.emit("typing", {"handover_id": record.id, "typing": True})  # not claimed: refused
            assert "not claimed by you" in (await bob.wait_for("desk_error"))["error"]
            await asyncio.to_thread(Agent(server, "alice"), "POST", f"/handovers/{record.id}/claim")
            await bob.emit("typing", {"handover_id": record.id, "typing": True})  # alice's claim: refused
            await alice.emit("typing", {"handover_id": record.id, "typing": True})
            await alice.emit("typing", {"handover_id": record.id, "typing": False})
            for _ in range(30):
                if len(typing) >= 2:
                    break
                await asyncio.sleep(0.1)
        assert typing == [{"agent": "alice", "typing": True}, {"agent": "alice", "typing": False}]
        await asyncio.to_thread(
            Agent(server, "alice"), "POST", f"/handovers/{record.id}/resolve", {"outcome": "closed"}
        )


async def test_a_waiting_client_who_reloads_the_chat_is_told_its_place_again(server, store):
    """A reload (or a reconnection) resumes the conversation: its place in the queue comes again at once."""
    async with ChatClient(server.rasa_url) as client:
        told = []
        client.client.on("queue_position", told.append)
        await client.say(ASK)
        await client.until(lambda m: m.get("handover") is True)
        for _ in range(30):
            if told:  # the push that followed the hand-over is over
                break
            await asyncio.sleep(0.1)
        record = store.open_for(client.session_id)
        place = [h.id for h in store.list("waiting")].index(record.id) + 1
        reloaded, fresh = ChatClient(server.rasa_url), ChatClient(server.rasa_url)
        positions, strangers = [], []
        reloaded.client.on("queue_position", positions.append)
        fresh.client.on("queue_position", strangers.append)
        await reloaded.connect()
        await fresh.open()  # a new chat: no hand-over, no place
        await reloaded.request_session({"session_id": client.token, "marks": True})
        for _ in range(30):
            if positions:
                break
            await asyncio.sleep(0.1)
        assert positions == [{"position": place}]
        assert strangers == []
        await reloaded.close()
        await fresh.close()
        alice = Agent(server, "alice")
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/claim")
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/resolve", {"outcome": "closed"})


async def test_an_agent_s_reply_is_pushed_to_colleagues_pages(server, store):
    async with ChatClient(server.rasa_url) as client, AgentSocket(server.rasa_url, "bob") as bob_page:
        await client.say(ASK)
        await client.until(lambda m: m.get("handover") is True)
        record = store.open_for(client.session_id)
        alice = Agent(server, "alice")
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/claim")
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/reply", {"text": "Hi, I'm looking into it."})
        pushed = await bob_page.wait_for("agent_reply", handover_id=record.id)
        assert pushed["agent"] == "alice" and "text" not in pushed  # bob's page fetches the conversation
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/resolve", {"outcome": "closed"})


# --- notes --------------------------------------------------------------------------------------


async def test_a_note_is_pushed_to_agents_and_never_reaches_the_client(server, store):
    secret = "note: client seems upset, check the refund for jo@example.com first"
    async with ChatClient(server.rasa_url) as client, AgentSocket(server.rasa_url, "bob") as bob_page:
        await client.say(ASK)
        await client.until(lambda m: m.get("handover") is True)
        record = store.open_for(client.session_id)
        alice = Agent(server, "alice")
        note = await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/notes", {"text": secret}, 201)
        assert note["agent"] == "alice" and "jo@example.com" not in note["text"] and "[email]" in note["text"]
        pushed = await bob_page.wait_for("note_added", handover_id=record.id)
        assert pushed["note"] == note
        assert (await asyncio.to_thread(alice, "GET", f"/handovers/{record.id}/notes"))["notes"] == [note]
        detail = await asyncio.to_thread(alice, "GET", f"/handovers/{record.id}")
        assert detail["notes"] == [note]
        assert "client seems upset" not in json.dumps(detail["transcript"])
        await asyncio.sleep(0.5)
        assert client.replies.empty()  # no message came to the chat
        for body, says in (({}, "non-empty text"), ({"text": "  "}, "non-empty text"), ({"text": "x" * 4001}, "4000")):
            status, answer, _ = call(
                f"{server.rasa_url}/agent/api/handovers/{record.id}/notes", "POST", body, token=AGENTS["alice"]
            )
            assert status == 400 and says in answer["error"]
        status, answer, _ = call(f"{server.rasa_url}/agent/api/handovers/0/notes", token=AGENTS["alice"])
        assert status == 404
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/claim")
        await asyncio.to_thread(alice, "POST", f"/handovers/{record.id}/resolve", {"outcome": "resumed"})
        tracker = store.require(record.id).transcript
        assert "client seems upset" not in json.dumps(tracker)  # the kept transcript has no note either
