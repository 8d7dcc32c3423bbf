"""E-mail addresses, phone numbers and card numbers are masked where client text leaves the chat."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.handover import ActionHandOver
from privacy.masking import enabled_kinds, mask_event, mask_text
from settings.read import SettingsError
from settings.variables import PRIVACY_MASKING as MASKING_ENV
from tests.helpers.conversations import make_tracker, new_conversation, say, user_event
from tests.helpers.paths import ROOT
from tests.helpers.servers import local_settings, running_assistant


@pytest.mark.parametrize(
    "text, masked",
    [
        ("you can reach me at john.doe+upwork@gmail.com", "you can reach me at [email]"),
        ("Mail: ANNA_K@company.co.uk.", "Mail: [email]."),
        ("call me on +1 (415) 555-0132 after 5pm", "call me on [phone] after 5pm"),
        ("my number is 020 7946 0958", "my number is [phone]"),
        ("ring 0044 20 7946 0958 or 07700900123", "ring [phone] or [phone]"),
        ("text me at 555-123-4567!", "text me at [phone]!"),
        ("(555) 123-4567 is my cell", "[phone] is my cell"),
        ("he charged my card 4111 1111 1111 1111 twice", "he charged my card [card] twice"),
        ("card 5500-0000-0000-0004 exp 12/27", "card [card] exp 12/27"),
        ("amex 378282246310005", "amex [card]"),
        ("mistyped 4111111111111112", "mistyped [card]"),
        # what must stay readable for the agent
        ("he billed 38.5 hours on 03/04/2024 for $1,250.00", "he billed 38.5 hours on 03/04/2024 for $1,250.00"),
        ("contract 12345678 started 2024-03-15 at 10:30", "contract 12345678 started 2024-03-15 at 10:30"),
        ("I paid 1500 and he did 40% of the work", "I paid 1500 and he did 40% of the work"),
        ("see https://www.upwork.com/jobs/~01a2b3 please", "see https://www.upwork.com/jobs/~01a2b3 please"),
    ],
)
def test_realistic_client_text_is_masked_and_the_rest_kept(text, masked):
    assert mask_text(text) == masked


def test_the_kinds_are_configurable():
    text = "a@b.com 555-123-4567 4111 1111 1111 1111"
    assert mask_text(text, enabled_kinds("off")) == text
    assert mask_text(text, enabled_kinds("email")) == "[email] 555-123-4567 4111 1111 1111 1111"
    assert mask_text(text, enabled_kinds("card,phone")) == "a@b.com [phone] [card]"
    assert enabled_kinds("") == enabled_kinds("on") == {"email", "phone", "card"}
    with pytest.raises(ValueError, match="unknown kind iban"):
        enabled_kinds("email,iban")


def test_an_unknown_setting_stops_the_launcher_with_a_clear_error():
    from settings.launch import LaunchSettings

    with pytest.raises(SettingsError, match="ASSISTANT_PRIVACY_MASKING='ssn': unknown kind ssn"):
        LaunchSettings.from_env({MASKING_ENV: "ssn"})


def test_broker_events_have_their_text_masked_and_their_structure_kept():
    event = {
        "event": "user",
        "sender_id": "0123456789abcdef0123456789abcdef",
        "timestamp": 1.5,
        "text": "my email is a.b@example.org",
        "parse_data": {
            "text": "my email is a.b@example.org",
            "intent": {"name": "out_of_scope", "confidence": 0.9},
            "entities": [{"entity": "email", "value": "a.b@example.org", "start": 12, "end": 27}],
        },
        "metadata": {"page": "/help"},
    }
    masked = mask_event(event)
    assert masked["text"] == masked["parse_data"]["text"] == "my email is [email]"
    assert masked["parse_data"]["entities"][0]["value"] == "[email]"
    assert masked["sender_id"] == event["sender_id"] and masked["parse_data"]["intent"] == event["parse_data"]["intent"]
    assert event["text"] == "my email is a.b@example.org"  # the original is not changed


async def test_the_hand_over_record_has_the_transcript_masked(handover_store, domain, monkeypatch):
    monkeypatch.delenv(MASKING_ENV, raising=False)
    tracker = make_tracker(
        [
            user_event("he took my card 4111 1111 1111 1111 and phone +44 20 7946 0958", "report_freelancer_concern"),
            user_event("email me at me@example.com, I want a human", "request_human"),
        ],
        sender_id="privacy-1",
    )
    await ActionHandOver().run(CollectingDispatcher(), tracker, domain)
    record = handover_store.open_for("privacy-1")
    texts = [line["text"] for line in record.transcript]
    assert texts == ["he took my card [card] and phone [phone]", "email me at [email], I want a human"]


async def test_masking_can_be_turned_off_for_the_hand_over_record(handover_store, domain, monkeypatch):
    monkeypatch.setenv(MASKING_ENV, "off")
    tracker = make_tracker([user_event("call me on 555-123-4567", "request_human")], sender_id="privacy-2")
    await ActionHandOver().run(CollectingDispatcher(), tracker, domain)
    assert handover_store.open_for("privacy-2").transcript[0]["text"] == "call me on 555-123-4567"


def test_log_lines_of_a_process_are_masked():
    script = (
        "import logging; from privacy import logs; logs.install(); logging.basicConfig();"
        "logging.getLogger('rasa.core.processor')"
        ".warning('Received user message %r', 'mail a@b.com card 4111111111111111');"
        "logging.getLogger('x').warning('plain %d', 5)"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "a@b.com" not in result.stderr and "4111111111111111" not in result.stderr
    assert "mail [email] card [card]" in result.stderr and "plain 5" in result.stderr


@pytest.mark.e2e
def test_a_running_assistant_logs_no_email_phone_or_card_even_at_debug_level(tmp_path, monkeypatch):
    # At DEBUG Rasa logs every client message; the masked forms must be all that shows.
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = local_settings(tmp_path / "state")
    with running_assistant(settings, tmp_path / "logs"):
        conversation = new_conversation(settings.rasa_url)
        say(settings.rasa_url, conversation, "my freelancer wants my card 4111 1111 1111 1111, write to me@example.com")
        say(settings.rasa_url, conversation, "or call +1 415 555 0132, I want a human")
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "logs").glob("*.log"))
    assert "[email]" in logs and "[card]" in logs and "[phone]" in logs
    for raw in ("4111 1111 1111 1111", "me@example.com", "415 555 0132"):
        assert raw not in logs
