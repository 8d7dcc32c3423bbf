"""Both servers started as `make run` starts them, a client talking over REST."""

from __future__ import annotations

import uuid

import pytest

from handover.store import HandOverStore
from tests.helpers.conversations import new_conversation, plain_id, post_json
from tests.helpers.conversations import say as say_in
from tests.helpers.servers import local_settings, running_assistant
from tests.helpers.socketio_client import ChatClient
from toolkit.library import load_library

pytestmark = pytest.mark.e2e

TOKEN = "test-operator-token-" + uuid.uuid4().hex
LIBRARY = load_library()
CONCERN = LIBRARY.resource("pause_script_specific_concern").render_markdown()
WHAT_IF = LIBRARY.resource("pause_script_what_if").render_markdown()


def request(url, body=None, token=None):
    """The operator token travels in the Authorization header, never in the URL."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return post_json(url, body, headers=headers)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return local_settings(tmp_path_factory.mktemp("state"), operator_token=TOKEN)


CONVERSATIONS: dict = {}


def conversation(settings, name):
    """The server-issued conversation token this test module calls ``name``."""
    if name not in CONVERSATIONS:
        CONVERSATIONS[name] = new_conversation(settings.rasa_url)
    return CONVERSATIONS[name]


def say(settings, name, text):
    return say_in(settings.rasa_url, conversation(settings, name), text)


def test_a_concern_gets_the_concern_script_with_the_link_then_the_offer(assistant, settings):
    replies = say(settings, "e2e-concern", "my freelancer stopped responding a week ago and is still logging hours")
    # Rasa's channels send each paragraph of a text as a message of its own.
    paragraphs = CONCERN.count("\n\n") + 1
    assert "\n\n".join(r["text"] for r in replies[:paragraphs]) == CONCERN
    assert "[click here](https://support.upwork.com/hc/en-us/articles/211062218)" in replies[paragraphs - 1]["text"]
    assert [b["payload"] for b in replies[paragraphs]["buttons"]] == ["/affirm", "/deny"]
    assert len(replies) == paragraphs + 1


def test_a_what_if_gets_the_general_script(assistant, settings):
    replies = say(settings, "e2e-whatif", "what happens if the freelancer i hire doesn't do the work?")
    assert [r["text"] for r in replies] == [WHAT_IF]


def test_an_out_of_scope_question_gets_no_pause_script(assistant, settings):
    replies = say(settings, "e2e-oos", "how do I reset my password")
    texts = " ".join(r.get("text", "") for r in replies)
    assert "place your contract on hold" not in texts
    assert "support team" in texts


def test_asking_for_a_person_hands_over_and_stores_the_record(assistant, settings):
    sender = "e2e-handover"
    say(settings, sender, "the freelancer on my fixed-price project was rude and missed the deadline")
    replies = say(settings, sender, "I want to talk to a human")
    assert "passed this conversation to our support team" in replies[0]["text"]
    # no agent page is open here: the client is not promised an agent, whatever the hour
    assert "will continue this chat here shortly" not in replies[0]["text"]
    assert "No agent is at the desk right now" in replies[0]["text"] or "The team is away" in replies[0]["text"]

    store = HandOverStore(settings.handover_db_url)
    record = store.open_for(plain_id(conversation(settings, sender)))
    assert record is not None and record.status == "waiting"
    assert record.availability in ("nobody_online", "outside_hours")
    assert record.reason == "client_asked_for_person"
    assert record.intent == "report_freelancer_concern"
    assert set(record.concern.split(",")) == {"conduct", "missed_deadline"}
    assert record.contract_type == "fixed_price"
    assert record.script_sent == "pause_script_specific_concern"
    assert record.kb_title == "Client Contract Issues Best Practices"
    assert record.transcript[0]["text"] == "the freelancer on my fixed-price project was rude and missed the deadline"
    assert any(line.get("toolkit_resource") == "pause_script_specific_concern" for line in record.transcript)
    assert record.transcript[-1] == {**record.transcript[-1], "from": "client", "text": "I want to talk to a human"}

    # The bot is paused: asking again gets no bot answer and no second record.
    assert say(settings, sender, "hello?? a human please") == []
    assert len([r for r in store.list() if r.conversation_id == record.conversation_id]) == 1
    store.dispose()


def test_an_unclear_message_gets_likely_meanings_then_a_person(assistant, settings):
    sender = "e2e-unclear"
    replies = say(settings, sender, "qwpoeiru zmxncb")
    payloads = [b["payload"] for b in replies[0]["buttons"]]
    assert len(payloads) == 4 and payloads[-1] == "/request_human"
    meanings = {"/report_freelancer_concern", "/ask_what_if", "/ask_how_to_pause", "/out_of_scope"}
    assert set(payloads[:-1]) < meanings
    replies = say(settings, sender, "?")
    assert "passed this conversation to our support team" in replies[0]["text"]
    store = HandOverStore(settings.handover_db_url)
    assert store.open_for(plain_id(conversation(settings, sender))).reason == "message_still_unclear"
    store.dispose()


GREETING = "Hi! I'm the support assistant."


@pytest.mark.parametrize("payload", ["/get_started", "/greet", "/session_start", "/GET_STARTED"])
def test_a_web_client_s_start_payload_gets_the_greeting_and_is_not_an_unclear_message(assistant, settings, payload):
    sender = "e2e-start" + payload
    [greeting] = say(settings, sender, payload)
    assert greeting["text"].startswith(GREETING)
    # the first unclear message after it gets the question, not a person at once
    replies = say(settings, sender, "qwpoeiru zmxncb")
    assert replies[0]["text"].startswith("Sorry, I'm not sure I understood") and replies[0]["buttons"]
    store = HandOverStore(settings.handover_db_url)
    assert store.open_for(plain_id(conversation(settings, sender))) is None
    store.dispose()


def test_a_start_payload_with_an_intent_or_entities_of_the_client_s_choosing_is_only_words(assistant, settings):
    texts = ('/get_started{"concern": "x"}', "/session_start/request_human", "/restart")
    for text in texts:
        say(settings, "e2e-inject", text)
    url = f"{settings.rasa_url}/conversations/{plain_id(conversation(settings, 'e2e-inject'))}/tracker"
    status, state = request(url, token=TOKEN)
    users = [e for e in state["events"] if e["event"] == "user"]
    assert status == 200 and [u["text"] for u in users] == [t.lstrip("/") for t in texts]
    assert not any(entity.get("value") == "x" for u in users for entity in u["parse_data"]["entities"])
    assert not any(e["event"] == "restart" for e in state["events"])  # no intent of the client's choosing


def test_the_http_api_needs_the_operator_token(assistant, settings):
    conversation_id = plain_id(conversation(settings, "e2e-concern"))
    url = f"{settings.rasa_url}/conversations/{conversation_id}/tracker"
    assert request(url)[0] == 401
    assert request(url, token="wrong")[0] == 401
    status, tracker = request(url, token=TOKEN)
    assert status == 200 and tracker["sender_id"] == conversation_id
    # Rasa's own ?token= is refused, even with the right token: URLs end up in logs.
    status, body = request(f"{url}?token={TOKEN}")
    assert status == 400 and "Authorization" in body["error"]


def test_conversations_and_the_pause_survive_a_restart(assistant, settings):
    assistant.stop()
    assistant.start()
    assistant.wait_until_ready()
    conversation_id = plain_id(conversation(settings, "e2e-handover"))
    status, tracker = request(f"{settings.rasa_url}/conversations/{conversation_id}/tracker", token=TOKEN)
    assert status == 200
    texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert texts[:2] == [
        "the freelancer on my fixed-price project was rude and missed the deadline",
        "I want to talk to a human",
    ]
    assert tracker["paused"] is True
    store = HandOverStore(settings.handover_db_url)
    assert store.open_for(conversation_id).status == "waiting"
    store.dispose()
    # the client's conversation id still works after the restart: still paused, no reply
    assert say(settings, "e2e-handover", "are you there?") == []
    # and the assistant still answers other clients
    assert say(settings, "e2e-after-restart", "what if my freelancer ghosts me?")[0]["text"] == WHAT_IF


def test_without_tokens_the_http_api_and_the_agent_side_are_off(tmp_path):
    settings = local_settings(tmp_path)
    with running_assistant(settings, tmp_path / "logs"):
        assert request(f"{settings.rasa_url}/status")[0] == 404
        assert request(f"{settings.rasa_url}/conversations/x/tracker")[0] == 404
        assert say_in(settings.rasa_url, new_conversation(settings.rasa_url), "hi")[0]["text"].startswith("Hi!")
        # the agent side is never open: no agent credentials configured, every route refuses
        assert request(f"{settings.rasa_url}/agent/api/handovers")[0] == 403
        assert request(f"{settings.rasa_url}/agent/api/suggestions", {"text": "hi"})[0] == 403
        status, page = post_json(f"{settings.rasa_url}/agent/")
        assert status == 403 and "The agent side is off" in page
    log = (tmp_path / "logs" / "rasa.log").read_text(encoding="utf-8")
    assert "The agent side is off on this server: no agent credentials are configured" in log


async def test_socketio_clients_with_session_persistence_get_replies(assistant, settings):
    """The channel the chat widget uses (python-socketio < 5.10, RasaHQ/rasa#13027)."""
    async with ChatClient(settings.rasa_url, timeout=30, confirm_timeout=30) as client:
        await client.say("what if my freelancer ghosts me?")
        received = [await client.next()]
    assert received[0]["text"] == WHAT_IF
