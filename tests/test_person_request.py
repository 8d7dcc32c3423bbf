"""The explicit-request-for-a-person net, with the patterns as config.yml sets them."""

from __future__ import annotations

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from spacy_pipeline.person_request import PersonRequestDetector
from tests.helpers.paths import ROOT


@pytest.fixture(scope="module")
def detector():
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    config = next(c for c in pipeline if c["name"].endswith("PersonRequestDetector"))
    return PersonRequestDetector({**PersonRequestDetector.get_default_config(), **config})


@pytest.mark.parametrize(
    "text",
    [
        "HUMAN",
        "agent pls",
        "real person now!!!",
        "get me a supervisor",
        "can I get someone from support on the phone?",
        "this bot is useless, let me talk to somebody",
        "i'd really prefer to speak with a representitive",
        "escalate this to a manager",
        "ich möchte bitte mit einem Mitarbeiter sprechen",
        "quiero hablar con un agente",
        "not a bot. a real person",
        "could someone call me back",
    ],
)
def test_explicit_requests_for_a_person_are_recognised(detector, text):
    assert detector.is_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "are you a human?",
        "am I talking to a real person",
        "what if I need an agent later?",
        "the person I hired stopped replying",
        "my project manager on the agency side is rude",
        "someone hacked my account",
        "hey, anyone there?",
        "how do I pause my contract",
        "/request_human",  # a button payload is already an intent
    ],
)
def test_other_messages_are_left_to_the_classifier(detector, text):
    assert not detector.is_request(text)


def test_a_request_becomes_the_top_intent_with_the_ranking_kept(detector):
    message = Message(data={"text": "get me a human now"})
    message.set("intent", {"name": "greet", "confidence": 0.7})
    message.set("intent_ranking", [{"name": "greet", "confidence": 0.7}, {"name": "request_human", "confidence": 0.2}])
    detector.process([message])
    assert message.get("intent") == {"name": "request_human", "confidence": 1.0}
    assert message.get("intent_ranking") == [
        {"name": "request_human", "confidence": 1.0},
        {"name": "greet", "confidence": 0.35},  # halved: no ambiguity fallback undoes it
    ]


def test_a_non_request_is_untouched(detector):
    message = Message(data={"text": "my freelancer vanished"})
    message.set("intent", {"name": "report_freelancer_concern", "confidence": 0.9})
    detector.process([message])
    assert message.get("intent") == {"name": "report_freelancer_concern", "confidence": 0.9}
