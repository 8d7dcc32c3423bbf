"""GET /webhooks/rest/updates: a REST-only client gets the agent's replies (channels/longpoll.py).

Against a running assistant with the agent side on: the client talks over REST
only, an agent claims and answers on the desk API, and the client's waiting
call answers with the agent's words.
"""

from __future__ import annotations

import time
import uuid

import pytest

from tests.helpers.agents import call
from tests.helpers.conversations import new_conversation, plain_id, say
from tests.helpers.longpoll import Waiting, updates

pytestmark = pytest.mark.e2e


def handed_over(server, store):
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, "my freelancer is rude to me")
    say(server.rasa_url, token, "a human please")
    record = store.open_for(plain_id(token))
    assert record is not None
    return token, record


def test_the_conversation_so_far_then_an_agent_s_join_and_reply_arrive_while_the_client_waits(server, store, alice):
    token, record = handed_over(server, store)
    status, so_far = updates(server, token, wait=0)
    assert status == 200, so_far
    assert so_far["messages"] and all(m["text"] for m in so_far["messages"])
    assert any(m.get("handover") for m in so_far["messages"])  # the hand-over message is marked
    cursor = so_far["cursor"]
    assert updates(server, token, after=cursor, wait=0)[1] == {"messages": [], "cursor": cursor}

    waiting = Waiting(server, token, cursor)
    alice("POST", f"/handovers/{record.id}/claim")
    status, joined = waiting.result()
    assert status == 200 and waiting.seconds < 10  # woken by the push, not at the end of its 25 s
    assert [m.get("system") for m in joined["messages"]] == [True]
    assert "alice" in joined["messages"][0]["text"]

    waiting = Waiting(server, token, joined["cursor"])
    alice("POST", f"/handovers/{record.id}/reply", {"text": "Hi, I am Alice. See [our guide](https://example.com/g)."})
    status, replied = waiting.result()
    assert status == 200 and waiting.seconds < 10
    (message,) = replied["messages"]
    assert message["from_agent"] is True and message["agent"] == "alice"
    assert message["text"] == "Hi, I am Alice. See [our guide](https://example.com/g)."
    assert float(replied["cursor"]) > float(joined["cursor"])

    alice("POST", f"/handovers/{record.id}/resolve", {"outcome": "resumed"})
    status, ended = updates(server, token, after=replied["cursor"], wait=5)
    assert status == 200 and [m.get("handover_ended") for m in ended["messages"]] == [True]


def test_a_message_added_without_a_push_here_is_found_by_re_reading(server):
    # the bot's answer to a REST message is saved to the tracker, not pushed: as a message
    # added on another replica, the waiting call finds it by reading the store again
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, "hello")
    cursor = updates(server, token, wait=0)[1]["cursor"]
    waiting = Waiting(server, token, cursor)
    answers = say(server.rasa_url, token, "what happens if a freelancer i hire stops doing the work?")
    status, found = waiting.result()
    assert status == 200 and waiting.seconds < 10
    texts = [a["text"] for a in answers if "text" in a]
    assert [m["text"] for m in found["messages"]] == texts[: len(found["messages"])]
    assert found["messages"] and not any(m.get("from_agent") for m in found["messages"])


def test_with_nothing_new_the_call_waits_then_answers_empty(server):
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, "hello")
    cursor = updates(server, token, wait=0)[1]["cursor"]
    began = time.monotonic()
    status, answer = updates(server, token, after=cursor, wait=1.5)
    assert time.monotonic() - began >= 1.5
    assert status == 200 and answer == {"messages": [], "cursor": cursor}


def test_a_never_used_conversation_has_no_messages_yet(server):
    assert updates(server, new_conversation(server.rasa_url), wait=0) == (200, {"messages": [], "cursor": "0.0"})


def test_a_forged_or_missing_conversation_id_is_refused(server):
    forged = uuid.uuid4().hex + "." + "A" * 43
    status, answer = updates(server, forged, wait=0)
    assert status == 403 and "not a conversation id this server issued" in answer["error"]
    status, answer, _ = call(f"{server.rasa_url}/webhooks/rest/updates")
    assert status == 400 and "conversation_id=" in answer["error"]


@pytest.mark.parametrize("cursor", ["abc", "-1", "nan", "inf", "1e999", ""])
def test_a_bad_cursor_is_a_400_that_says_what_a_cursor_is(server, cursor):
    status, answer = updates(server, new_conversation(server.rasa_url), after=cursor, wait=0)
    assert status == 400
    assert answer["error"].startswith("'after' must be the 'cursor' of an earlier answer")


@pytest.mark.parametrize("wait", ["-1", "26", "soon"])
def test_a_bad_wait_is_a_400(server, wait):
    status, answer = updates(server, new_conversation(server.rasa_url), wait=wait)
    assert status == 400 and "'wait' must be a number of seconds from 0 to 25" in answer["error"]


def test_waits_on_one_conversation_are_limited(server):
    token = new_conversation(server.rasa_url)
    waiting = [Waiting(server, token, "0", wait=4) for _ in range(3)]
    status, answer = updates(server, token, wait=0)
    assert status == 429 and "already has 3 waiting calls" in answer["error"]
    assert updates(server, new_conversation(server.rasa_url), wait=0)[0] == 200  # another conversation may
    assert [w.result()[0] for w in waiting] == [200, 200, 200]
    assert updates(server, token, wait=0)[0] == 200  # and this one again once they answered


async def test_a_push_on_this_replica_wakes_a_waiting_call_at_once():
    import asyncio

    from channels import live

    with live.watch("c" * 32) as pushed, live.watch("d" * 32) as other:
        await live.push("c" * 32, {"text": "hi"})  # no socket.io here: it still wakes the waits
        await asyncio.wait_for(pushed.wait(), timeout=0.1)
        assert not other.is_set()
    assert live._watchers == {}
