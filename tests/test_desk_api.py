"""The agent side over HTTP on a running assistant: agent assist, the hand-over desk, the log-in.

Clients talk to the same assistant over socket.io (as the widget does) or REST.
"""

from __future__ import annotations

import asyncio
import urllib.request
import uuid

import pytest

from tests.helpers.agents import AGENTS, call
from tests.helpers.conversations import new_conversation, plain_id
from tests.helpers.socketio_client import ChatClient
from toolkit.library import load_library

pytestmark = pytest.mark.e2e

LIBRARY = load_library()
CONCERN = LIBRARY.resource("pause_script_specific_concern").render_markdown()
WHAT_IF = LIBRARY.resource("pause_script_what_if").render_markdown()
KB_TITLE = "Client Contract Issues Best Practices"


TOKENS: dict = {}


def token_of(server, name):
    """The server-issued conversation token this module calls ``name`` (REST clients)."""
    if name not in TOKENS:
        TOKENS[name] = new_conversation(server.rasa_url)
    return TOKENS[name]


def conversation_id(server, name):
    """The plain id the agent side knows the conversation ``name`` by."""
    return plain_id(token_of(server, name))


def say(server, name, text):
    status, replies, _ = call(
        f"{server.rasa_url}/webhooks/rest/webhook", "POST", {"sender": token_of(server, name), "message": text}
    )
    assert status == 200, replies
    return replies


def hand_over(server, store, name, *messages):
    for text in messages:
        say(server, name, text)
    record = store.open_for(conversation_id(server, name))
    assert record is not None, f"no hand-over for {name}"
    return record


# --- access --------------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/me"),
    ("GET", "/api/handovers"),
    ("GET", "/api/handovers/1"),
    ("POST", "/api/handovers/1/claim"),
    ("POST", "/api/handovers/1/release"),
    ("POST", "/api/handovers/1/reply"),
    ("POST", "/api/handovers/1/resolve"),
    ("POST", "/api/suggestions"),
    ("POST", "/api/feedback"),
    ("GET", "/api/feedback/summary"),
    ("GET", "/api/socket-ticket"),
    ("GET", "/api/handovers/1/notes"),
    ("POST", "/api/handovers/1/notes"),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_every_agent_endpoint_refuses_a_caller_without_a_valid_agent_token(server, method, path):
    url = f"{server.rasa_url}/agent{path}"
    body = {} if method == "POST" else None
    for token in (None, "not-an-agent-token-at-all"):
        status, answer, headers = call(url, method, body, token=token)
        assert status == 401, (path, status)
        assert "agent credential is required" in answer["error"]
        assert headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_an_agent(alice, bob):
    assert alice("GET", "/me")["agent"] == "alice"
    assert bob("GET", "/me")["agent"] == "bob"


def test_the_agent_page_asks_for_a_log_in_and_keeps_the_session_in_a_strict_cookie(server):
    base = f"{server.rasa_url}/agent"
    with urllib.request.urlopen(f"{base}/", timeout=30) as page:
        text = page.read().decode()
        assert 'name="token"' in text and "agent.js" not in text
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]

    class NoRedirect(urllib.request.HTTPErrorProcessor):
        def http_response(self, request, response):
            return response

    opener = urllib.request.build_opener(NoRedirect)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wrong = opener.open(urllib.request.Request(f"{base}/login", data=b"token=nope", headers=form))
    assert wrong.status == 401 and "That token is not valid" in wrong.read().decode()
    right = opener.open(urllib.request.Request(f"{base}/login", data=f"token={AGENTS['alice']}".encode(), headers=form))
    assert right.status == 303 and right.headers["Location"] == "/agent/"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/agent" in cookie
    assert AGENTS["alice"] not in cookie
    session = cookie.split(";", 1)[0]
    with urllib.request.urlopen(urllib.request.Request(f"{base}/", headers={"Cookie": session}), timeout=30) as page:
        assert "agent.js" in page.read().decode()
    # the cookie reads, but changes nothing without the header a page of another site cannot send
    me = call(f"{base}/api/me", headers={"Cookie": session})
    assert me[0] == 200 and me[1]["agent"] == "alice"
    assert call(f"{base}/api/handovers/1/claim", "POST", {}, headers={"Cookie": session})[0] == 401


# --- bad requests ----------------------------------------------------------------------------


def test_unknown_hand_overs_are_404(alice):
    for path in ("/handovers/999999", "/handovers/abc", "/handovers/0"):
        assert "no hand-over with id" in alice("GET", path, expect=404)["error"]
    for step, body in (("claim", {}), ("release", {}), ("reply", {"text": "hi"}), ("resolve", {"outcome": "closed"})):
        assert alice("POST", f"/handovers/999999/{step}", body, expect=404)["error"] == "no hand-over with id 999999"


def test_malformed_requests_say_what_is_wrong(server, alice, store):
    record = hand_over(server, store, "api-bad-" + uuid.uuid4().hex[:6], "a human please")
    alice("POST", f"/handovers/{record.id}/claim")
    base = f"{server.rasa_url}/agent/api"
    status, answer, _ = call(f"{base}/handovers/{record.id}/reply", "POST", raw=b"{not json", token=AGENTS["alice"])
    assert status == 400
    assert answer["error"].startswith("the request body is not valid JSON: ")  # the same parser as the chat's
    assert "line 1, column 2" in answer["error"]
    assert (
        alice("POST", f"/handovers/{record.id}/reply", [1, 2], expect=400)["error"]
        == "the request body must be a JSON object"
    )
    assert alice("POST", f"/handovers/{record.id}/reply", {"text": "   "}, expect=400)["error"] == (
        "'text' must be non-empty text"
    )
    too_long = alice("POST", f"/handovers/{record.id}/reply", {"text": "x" * 4001}, expect=400)
    assert too_long["error"] == "'text' is 4001 characters long; at most 4000 are accepted"
    outcome = alice("POST", f"/handovers/{record.id}/resolve", {"outcome": "done"}, expect=400)
    assert outcome["error"].startswith("'outcome' must be one of resumed, closed")
    assert "status must be one of" in alice("GET", "/handovers?status=lost", expect=400)["error"]
    both = alice("POST", "/suggestions", {"text": "hi", "conversation_id": "x"}, expect=400)
    assert both["error"] == "send either 'text' (a client message) or 'conversation_id', not both"
    assert alice("POST", "/suggestions", {"conversation_id": "nobody-" + uuid.uuid4().hex}, expect=404)
    assert alice("POST", "/feedback", {"macro_id": "nope", "action": "ignored"}, expect=400)["error"] == (
        "no macro with id 'nope' in the macro library"
    )
    assert "'action' must be one of" in alice("POST", "/feedback", {"macro_id": "toolkit_what_if"}, expect=400)["error"]
    # nothing of that was kept: the hand-over only has its own steps
    assert [e["kind"] for e in alice("GET", f"/handovers/{record.id}")["events"]] == ["created", "claimed"]


# --- agent assist ------------------------------------------------------------------------------


def test_a_concern_gets_the_concern_macro_ready_to_send_with_its_link_and_kb(alice):
    answer = alice("POST", "/suggestions", {"text": "my freelancer stopped replying and still bills me hours"})
    first = answer["suggestions"][0]
    assert first["macro_id"] == "toolkit_specific_concern"
    assert first["text"] == CONCERN
    assert first["links"] == [
        {"title": "Put an hourly contract on hold", "url": LIBRARY.links["pause_hourly_contract"].url}
    ]
    assert first["kb"]["title"] == KB_TITLE and "Client Contract Issues" in first["kb"]["guidance"]
    assert 0.3 <= first["confidence"] <= 1
    assert first["why"]["intent"] == "report_freelancer_concern"
    assert {e["value"] for e in first["why"]["entities"]} >= {"unresponsive"}
    assert len(answer["suggestions"]) <= 3


def test_why_names_the_client_s_whole_words_never_a_fragment(alice):
    # spaCy splits "hasn't" into "has" + "n't"; the concern pattern starts at "n't"
    answer = alice("POST", "/suggestions", {"text": "my freelancer hasn't replied since monday"})
    found = [e for s in answer["suggestions"] for e in s["why"]["entities"] if e["value"] == "unresponsive"]
    assert found and all(e["text"] == "hasn't replied" for e in found), found
    assert [e["text"] for e in answer["understood"][0]["entities"]] == ["hasn't replied"]


def test_a_what_if_gets_the_what_if_macro(alice):
    answer = alice("POST", "/suggestions", {"text": "what can I do if a freelancer I hire never delivers?"})
    assert answer["suggestions"][0]["macro_id"] == "toolkit_what_if"
    assert answer["suggestions"][0]["text"] == WHAT_IF
    assert answer["understood"][0]["intent"] == "ask_what_if"


@pytest.mark.parametrize(
    "text", ["how do I update my credit card?", "what are your service fees", "I can't log into my account"]
)
def test_an_out_of_scope_message_gets_no_pause_script(alice, text):
    answer = alice("POST", "/suggestions", {"text": text})
    assert answer["understood"][0]["intent"] == "out_of_scope"
    assert all("place your contract on hold" not in s["text"] for s in answer["suggestions"])


def test_a_conversation_id_uses_its_latest_client_messages(server, alice):
    sender = "assist-" + uuid.uuid4().hex[:8]
    say(server, sender, "the freelancer I hired has gone silent for days")
    say(server, sender, "no thanks")
    answer = alice("POST", "/suggestions", {"conversation_id": conversation_id(server, sender)})
    assert answer["suggestions"][0]["macro_id"] == "toolkit_specific_concern"
    assert [u["text"] for u in answer["understood"]] == ["no thanks", "the freelancer I hired has gone silent for days"]
    by_token = alice("POST", "/suggestions", {"conversation_id": token_of(server, sender)})
    assert by_token == answer


# --- the desk, end to end ----------------------------------------------------------------------


async def test_a_hand_over_is_claimed_answered_and_resolved_while_the_client_watches(server, store, alice, bob):
    async with ChatClient(server.rasa_url) as client:
        await client.say("my freelancer stopped answering a week ago and still logs hours on my hourly contract")
        await client.until(lambda m: "Would you like a member of our support team" in m.get("text", ""))
        await client.say("yes please")
        handed = await client.next()
        assert handed.get("handover") is True
        # the same chat, reloaded in a client built for Rasa's own channel: plain Rasa messages
        rasa_client = await ChatClient(server.rasa_url, marks=False).open({"session_id": client.token})
        assert rasa_client.token == client.token

        queue = await asyncio.to_thread(alice, "GET", "/handovers?status=waiting")
        [item] = [h for h in queue["handovers"] if h["conversation_id"] == client.session_id]
        assert item["reason"] == "client_accepted_offer"
        assert item["intent"] == "report_freelancer_concern"
        assert set(item["concern"]) >= {"unresponsive"} and item["contract_type"] == "hourly"
        assert item["bot_sent"]["script"] == "pause_script_specific_concern"
        assert item["bot_sent"]["script_title"] == "Pause contract script (specific concern)"
        assert item["kb"]["title"] == KB_TITLE
        assert item["kb"]["label"] == KB_TITLE  # the section is the whole article: not "… › …" twice
        assert item["last_client_message"] == "yes please"
        assert item["waited_seconds"] >= 0 and item["status"] == "waiting"

        opened = await asyncio.to_thread(alice, "GET", f"/handovers/{item['id']}")
        assert [line["from"] for line in opened["transcript"]][:2] == ["client", "bot"]
        assert opened["kb"]["guidance"].startswith("For more detailed steps")
        assert opened["assist"]["suggestions"][0]["macro_id"] == "toolkit_specific_concern"

        # one agent at a time
        conflict = await asyncio.to_thread(bob, "POST", f"/handovers/{item['id']}/reply", {"text": "hi"}, 409)
        assert "claim it before you reply" in conflict["error"]
        await asyncio.to_thread(alice, "POST", f"/handovers/{item['id']}/claim")
        joined = await client.next()
        assert joined["text"] == "alice from our support team has joined the chat and will reply here."
        assert joined["agent"] == "alice" and await rasa_client.next() == {"text": joined["text"]}
        taken = await asyncio.to_thread(bob, "POST", f"/handovers/{item['id']}/claim", None, 409)
        assert taken["error"] == f"hand-over {item['id']} is claimed by alice"
        assert taken["handover"]["claimed_by"] == "alice"

        # the client writes while paused: the agent sees it, the bot stays quiet
        await client.say("it's been 8 days now <script>alert(1)</script>")
        await asyncio.sleep(1)
        assert client.replies.empty()
        opened = await asyncio.to_thread(alice, "GET", f"/handovers/{item['id']}")
        assert opened["transcript"][-1] == {
            **opened["transcript"][-1],
            "from": "client",
            "text": "it's been 8 days now <script>alert(1)</script>",
        }

        reply = "Hi, I'm Alice. I've paused billing for you; see [the guide](https://example.com/guide)."
        answered = await asyncio.to_thread(alice, "POST", f"/handovers/{item['id']}/reply", {"text": reply})
        message = await client.next()
        assert message == {"text": reply, "from_agent": True, "agent": "alice"}
        assert await rasa_client.next() == {"text": reply}
        assert answered["transcript"][-1]["from"] == "agent" and answered["transcript"][-1]["text"] == reply

        resolved = await asyncio.to_thread(alice, "POST", f"/handovers/{item['id']}/resolve", {"outcome": "resumed"})
        back = await client.next()
        assert back["handover_ended"] is True and "handed this chat back to me" in back["text"]
        assert await rasa_client.next() == {"text": back["text"]}
        await rasa_client.close()
        assert resolved["status"] == "resolved" and resolved["outcome"] == "resumed"
        assert resolved["resolved_by"] == "alice"

        # the bot answers the client again
        await client.say("and what if my next freelancer does the same?")
        again = await client.next()
        assert again["text"] == WHAT_IF

    record = store.get(item["id"])
    assert record.status == "resolved" and record.outcome == "resumed"
    assert any(line["from"] == "agent" and line["text"] == reply for line in record.transcript)
    kinds = [e.kind for e in store.events(item["id"])]
    assert kinds == ["created", "claimed", "reply", "resolved"]
    resolved_list = await asyncio.to_thread(alice, "GET", "/handovers?status=resolved")
    assert item["id"] in [h["id"] for h in resolved_list["handovers"]]


def test_a_closed_chat_starts_afresh_on_the_next_message(server, store, alice):
    sender = "closed-" + uuid.uuid4().hex[:8]
    record = hand_over(server, store, sender, "my freelancer is rude to me", "a human please")
    alice("POST", f"/handovers/{record.id}/claim")
    closed = alice("POST", f"/handovers/{record.id}/resolve", {"outcome": "closed"})
    assert closed["outcome"] == "closed"
    assert say(server, sender, "what happens if a freelancer never delivers?")[0]["text"] == WHAT_IF
    assert store.open_for(conversation_id(server, sender)) is None
    # asking again later opens a new hand-over
    say(server, sender, "can I talk to a real person")
    assert store.open_for(conversation_id(server, sender)).id != record.id


def test_a_released_hand_over_goes_back_to_the_queue_for_another_agent(server, store, alice, bob):
    record = hand_over(server, store, "release-" + uuid.uuid4().hex[:8], "get me a human")
    alice("POST", f"/handovers/{record.id}/claim")
    assert bob("POST", f"/handovers/{record.id}/release", expect=409)["error"].endswith("claimed by alice")
    released = alice("POST", f"/handovers/{record.id}/release")
    assert released["status"] == "waiting" and released["claimed_by"] is None
    assert bob("POST", f"/handovers/{record.id}/claim")["claimed_by"] == "bob"


def test_what_the_agent_does_with_suggestions_is_recorded(server, store, alice):
    sender = "feedback-" + uuid.uuid4().hex[:8]
    record = hand_over(
        server, store, sender, "what happens if my freelancer disappears mid-project?", "I want to talk to a human"
    )
    alice("POST", f"/handovers/{record.id}/claim")
    shown = alice("GET", f"/handovers/{record.id}")["assist"]["suggestions"]
    assert shown and shown[0]["macro_id"] == "toolkit_what_if"
    listed = [{"macro_id": s["macro_id"], "confidence": s["confidence"], "intent": s["why"]["intent"]} for s in shown]
    body = {"text": shown[0]["text"], "suggestion_used": shown[0]["macro_id"], "suggestions_shown": listed}
    alice("POST", f"/handovers/{record.id}/reply", body)
    edited = {**body, "text": "Hi! " + shown[0]["text"]}
    alice("POST", f"/handovers/{record.id}/reply", edited)
    alice("POST", f"/handovers/{record.id}/reply", {"text": "Anything else?", "suggestions_shown": listed})
    actions = [(f["macro_id"], f["action"], f["agent"]) for f in store.feedback.entries(record.id)]
    others = [(s["macro_id"], "ignored", "alice") for s in listed[1:]]
    assert actions == (
        [("toolkit_what_if", "sent_as_is", "alice")]
        + others
        + [("toolkit_what_if", "edited", "alice")]
        + others
        + [("toolkit_what_if", "ignored", "alice")]
        + others
    )
    alice("POST", "/feedback", {"macro_id": "toolkit_how_to_pause", "action": "ignored"}, expect=201)
    summary = alice("GET", "/feedback/summary")["macros"]
    assert summary["toolkit_what_if"]["sent_as_is"] >= 1 and summary["toolkit_what_if"]["edited"] >= 1
    assert summary["toolkit_how_to_pause"]["ignored"] >= 1
