"""Custom actions run against the real domain and trackers built from events."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionClarifyMeaning
from actions.handover import ActionHandOver, transcript
from actions.scripts import ActionSendConcernScript, ActionSendPauseLink, ActionSendWhatIfScript
from handover import records
from tests.helpers.conversations import bot_event, make_tracker, user_event
from tests.helpers.paths import ROOT
from toolkit import names
from toolkit.library import load_library

LIBRARY = load_library(ROOT / "toolkit" / "client_toolkit.yml")
HELP_ARTICLE = LIBRARY.links["pause_hourly_contract"].url


async def run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return dispatcher.messages, events


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(
    "action, resource_id, intent, text",
    [
        (
            ActionSendConcernScript(),
            names.RESOURCE_CONCERN_SCRIPT,
            names.INTENT_CONCERN,
            "my freelancer stopped replying 5 days ago",
        ),
        (
            ActionSendWhatIfScript(),
            names.RESOURCE_WHAT_IF_SCRIPT,
            names.INTENT_WHAT_IF,
            "what if my freelancer stops replying?",
        ),
    ],
)
async def test_script_actions_send_the_library_wording_with_the_link(domain, action, resource_id, intent, text):
    messages, events = await run(action, make_tracker([user_event(text, intent)]), domain)
    assert len(messages) == 1
    message = messages[0]
    assert message["response"] == names.UTTER_TOOLKIT_SCRIPT
    assert message["script"] == LIBRARY.resource(resource_id).render_markdown()
    assert f"[click here]({HELP_ARTICLE})" in message["script"]
    assert message["toolkit_resource"] == resource_id
    assert slot_events(events) == {names.SLOT_SCRIPT_SENT: resource_id, names.SLOT_LINK_SENT: HELP_ARTICLE}
    # the domain's response renders the script as it is
    assert domain["responses"][names.UTTER_TOOLKIT_SCRIPT][0]["text"] == "{script}"


async def test_the_concern_and_what_if_scripts_differ(domain):
    concern, _ = await run(ActionSendConcernScript(), make_tracker([]), domain)
    what_if, _ = await run(ActionSendWhatIfScript(), make_tracker([]), domain)
    assert concern[0]["script"].startswith("Based on your concerns")
    assert what_if[0]["script"].startswith("If at any point you have any concerns")


async def test_a_changed_link_is_sent_without_retraining_or_restart(domain, tmp_path, monkeypatch):
    library = tmp_path / "library.yml"
    shutil.copy(ROOT / "toolkit" / "client_toolkit.yml", library)
    monkeypatch.setenv("TOOLKIT_LIBRARY", str(library))
    before, _ = await run(ActionSendConcernScript(), make_tracker([]), domain)
    assert HELP_ARTICLE in before[0]["script"]

    new_url = "https://help.example.com/pause"
    library.write_text(library.read_text(encoding="utf-8").replace(HELP_ARTICLE, new_url), encoding="utf-8")
    after, events = await run(ActionSendConcernScript(), make_tracker([]), domain)
    assert f"[click here]({new_url})" in after[0]["script"]
    assert slot_events(events)[names.SLOT_LINK_SENT] == new_url


async def test_how_to_pause_sends_the_article_not_a_concern_script(domain):
    tracker = make_tracker([user_event("how do i put my contract on hold", names.INTENT_HOW_TO_PAUSE)])
    messages, events = await run(ActionSendPauseLink(), tracker, domain)
    assert messages[0]["response"] == names.UTTER_PAUSE_LINK
    assert messages[0]["link_url"] == HELP_ARTICLE
    assert messages[0]["link_title"] == "Put an hourly contract on hold"
    assert "script" not in messages[0]
    template = domain["responses"][names.UTTER_PAUSE_LINK][0]["text"]
    assert "[{link_title}]({link_url})" in template
    assert slot_events(events) == {names.SLOT_LINK_SENT: HELP_ARTICLE}


async def test_clarify_offers_the_likely_meanings_first_and_a_person(domain):
    ranking = [
        {"name": names.INTENT_NLU_FALLBACK, "confidence": 0.5},
        {"name": names.INTENT_WHAT_IF, "confidence": 0.41},
        {"name": names.INTENT_CONCERN, "confidence": 0.39},
        {"name": "greet", "confidence": 0.1},
        {"name": names.INTENT_HOW_TO_PAUSE, "confidence": 0.05},
    ]
    tracker = make_tracker([user_event("hmm the contract thing", names.INTENT_NLU_FALLBACK, 0.5, ranking=ranking)])
    messages, events = await run(ActionClarifyMeaning(), tracker, domain)
    assert events == []
    assert messages[0]["response"] == names.UTTER_ASK_WHICH_MEANING
    buttons = messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        "/ask_what_if",
        "/report_freelancer_concern",
        "/ask_how_to_pause",
        "/request_human",
    ]
    assert buttons[0]["title"] == domain["responses"]["utter_meaning_ask_what_if"][0]["text"]
    assert buttons[-1]["title"] == "Talk to a person"


async def test_hand_over_stores_everything_the_agent_needs_and_pauses(domain, handover_store):
    events = [
        user_event("my hourly freelancer ghosted me and keeps billing", names.INTENT_CONCERN, 0.93),
        bot_event("Based on your concerns ...", toolkit_resource=names.RESOURCE_CONCERN_SCRIPT),
        bot_event("Would you like a member of our support team to look at this with you?"),
        user_event("yes please", names.INTENT_AFFIRM, 0.99),
    ]
    slots = {
        names.SLOT_CONCERN: ["unresponsive", "hours_billing"],
        names.SLOT_CONTRACT_TYPE: "hourly",
        names.SLOT_SCRIPT_SENT: names.RESOURCE_CONCERN_SCRIPT,
        names.SLOT_LINK_SENT: HELP_ARTICLE,
    }
    messages, returned = await run(ActionHandOver(), make_tracker(events, slots, "conv-42"), domain)

    assert messages[0]["response"] in names.HANDOVER_RESPONSES  # which one: tests/test_announce.py
    for response in names.HANDOVER_RESPONSES:
        assert "passed this conversation to our support team" in domain["responses"][response][0]["text"]
    assert {"event": "pause", "timestamp": None} in returned
    record = handover_store.open_for("conv-42")
    assert record is not None
    assert slot_events(returned)[names.SLOT_HANDOVER_ID] == str(record.id)
    assert record.status == "waiting"
    assert record.reason == records.REASON_ACCEPTED_OFFER
    assert (record.intent, record.confidence) == (names.INTENT_CONCERN, 0.93)
    assert record.concern == "unresponsive,hours_billing"
    assert record.contract_type == "hourly"
    assert record.script_sent == names.RESOURCE_CONCERN_SCRIPT
    assert record.link_sent == HELP_ARTICLE
    assert record.macro_id == "cs_client_toolkit"
    assert record.kb_title == "Client Contract Issues Best Practices"
    assert record.kb_section == "Client Contract Issues Best Practices"
    assert [line["from"] for line in record.transcript] == ["client", "bot", "bot", "client"]
    assert record.transcript[0]["text"] == "my hourly freelancer ghosted me and keeps billing"
    assert record.transcript[0]["intent"] == names.INTENT_CONCERN
    assert record.transcript[1]["toolkit_resource"] == names.RESOURCE_CONCERN_SCRIPT
    assert record.created_at is not None


@pytest.mark.parametrize(
    "intent, reason",
    [(names.INTENT_REQUEST_HUMAN, records.REASON_CLIENT_ASKED), (names.INTENT_NLU_FALLBACK, records.REASON_UNCLEAR)],
)
async def test_hand_over_reason_follows_the_last_message(domain, handover_store, intent, reason):
    await run(ActionHandOver(), make_tracker([user_event("...", intent, 0.6)], sender_id="conv-r"), domain)
    record = handover_store.open_for("conv-r")
    assert record.reason == reason
    assert (record.intent, record.confidence) == (intent, 0.6)  # nothing said before: the latest


async def test_hand_over_on_request_records_the_concern_raised_before(domain, handover_store):
    events = [
        user_event("he vanished with my money", names.INTENT_CONCERN, 0.88),
        bot_event("Based on your concerns ..."),
        user_event("get me a human", names.INTENT_REQUEST_HUMAN, 0.99),
    ]
    await run(ActionHandOver(), make_tracker(events, sender_id="conv-t"), domain)
    record = handover_store.open_for("conv-t")
    assert (record.reason, record.intent, record.confidence) == (
        records.REASON_CLIENT_ASKED,
        names.INTENT_CONCERN,
        0.88,
    )


async def test_asking_twice_makes_no_second_record(domain, handover_store):
    tracker = make_tracker([user_event("a human please", names.INTENT_REQUEST_HUMAN)], sender_id="conv-7")
    _, first = await run(ActionHandOver(), tracker, domain)
    messages, second = await run(ActionHandOver(), tracker, domain)
    assert slot_events(first) == slot_events(second)
    assert messages[0]["response"] in names.HANDOVER_RESPONSES
    assert len(handover_store.list()) == 1


async def test_concurrent_hand_overs_of_one_conversation_make_one_record(domain, handover_store):
    tracker = make_tracker([user_event("agent now", names.INTENT_REQUEST_HUMAN)], sender_id="conv-race")
    results = await asyncio.gather(*(run(ActionHandOver(), tracker, domain) for _ in range(8)))
    ids = {slot_events(events)[names.SLOT_HANDOVER_ID] for _, events in results}
    assert len(ids) == 1
    assert len(handover_store.list()) == 1


@pytest.mark.parametrize(
    "concerns, priority",
    [
        (["off_platform_payment"], "high"),
        (["unresponsive", "conduct"], "high"),
        (["unresponsive", "hours_billing"], "normal"),
        (None, "normal"),
    ],
)
async def test_hand_over_priority_follows_the_concerns_raised(domain, handover_store, concerns, priority):
    tracker = make_tracker(
        [user_event("a human", names.INTENT_REQUEST_HUMAN)], {names.SLOT_CONCERN: concerns}, "conv-p"
    )
    await run(ActionHandOver(), tracker, domain)
    assert handover_store.open_for("conv-p").priority == priority


async def test_with_a_help_desk_configured_the_hand_over_is_queued_for_it(domain, handover_store, monkeypatch):
    tracker = make_tracker([user_event("a human", names.INTENT_REQUEST_HUMAN)], sender_id="conv-desk")
    monkeypatch.delenv("HANDOVER_WEBHOOK_URL", raising=False)
    await run(ActionHandOver(), tracker, domain)
    assert handover_store.outbox.items() == []

    monkeypatch.setenv("HANDOVER_WEBHOOK_URL", "https://desk.example.com/hooks/assistant")
    tracker = make_tracker([user_event("a human", names.INTENT_REQUEST_HUMAN)], sender_id="conv-desk-2")
    await run(ActionHandOver(), tracker, domain)
    record = handover_store.open_for("conv-desk-2")
    [item] = handover_store.outbox.items()
    assert item.handover_id == record.id and item.event == "handover.created"


def test_an_agent_message_in_the_history_is_the_agent_s_in_the_transcript():
    events = [
        user_event("a human please", names.INTENT_REQUEST_HUMAN),
        bot_event("Thanks, I've passed this conversation ..."),
        bot_event("Hi, Alice here", from_agent=True, agent="alice"),
    ]
    lines = transcript(make_tracker(events))
    assert [(line["from"], line.get("agent")) for line in lines] == [
        ("client", None),
        ("bot", None),
        ("agent", "alice"),
    ]
