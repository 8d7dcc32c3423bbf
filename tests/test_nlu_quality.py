"""Model quality as numbers with floors, on tests/nlu/test_nlu.yml (never trained on).

The figures are printed at the end of the run and written to
test-artifacts/nlu_evaluation.json.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Dict, List, Tuple

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from tests.helpers.figures import record
from tests.helpers.paths import ROOT
from toolkit import names

TEST_SET = ROOT / "tests" / "nlu" / "test_nlu.yml"

# Floors. Measured on this test set when they were set: see README "Quality".
MACRO_F1_FLOOR = 0.90
RIGHT_SCRIPT_FLOOR = 0.90  # concern and what-if messages that get their own script
OUT_OF_SCOPE_NO_SCRIPT_FLOOR = 0.90  # out-of-scope messages that get no pause script
PERSON_REQUEST_FLOOR = 1.0  # explicit requests for a person that are handed over

SCRIPT_INTENTS = {names.INTENT_CONCERN, names.INTENT_WHAT_IF}
FIGURES: Dict[str, object] = {}


@pytest.fixture(scope="module")
def agent(trained_agent):
    return trained_agent


@pytest.fixture(scope="module")
def predictions(agent) -> List[Tuple[str, str, dict]]:
    examples = [e for e in load_data(str(TEST_SET)).intent_examples]
    texts = [e.get("text") for e in examples]
    train_texts = {e.get("text").strip().lower() for e in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    leaked = [t for t in texts if t.strip().lower() in train_texts]
    assert not leaked, f"test examples also in the training data: {leaked[:5]}"

    async def parse_all():
        return [await agent.parse_message(t) for t in texts]

    parsed = asyncio.run(parse_all())
    return [(e.get("text"), e.get("intent"), p) for e, p in zip(examples, parsed, strict=False)]


def predicted(parse: dict) -> str:
    return parse["intent"]["name"]


def macro_f1(pairs: List[Tuple[str, str]]) -> Tuple[float, Dict[str, float]]:
    labels = sorted({gold for gold, _ in pairs})
    scores = {}
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return sum(scores.values()) / len(scores), scores


def _record(name: str, value, details=None) -> None:
    record(FIGURES, "nlu_evaluation.json", name, value, details)


def test_the_test_set_covers_every_intent(predictions):
    counts = Counter(gold for _, gold, _ in predictions)
    domain_intents = {
        names.INTENT_CONCERN,
        names.INTENT_WHAT_IF,
        names.INTENT_HOW_TO_PAUSE,
        names.INTENT_REQUEST_HUMAN,
        names.INTENT_OUT_OF_SCOPE,
        "greet",
        "thank",
        "goodbye",
        "affirm",
        "deny",
        "bot_challenge",
    }
    assert set(counts) == domain_intents
    assert min(counts.values()) >= 8


def test_macro_f1_is_above_the_floor(predictions):
    score, per_intent = macro_f1([(gold, predicted(p)) for _, gold, p in predictions])
    errors = [f"{gold} -> {predicted(p)}: {text}" for text, gold, p in predictions if predicted(p) != gold]
    _record(
        "macro_f1",
        round(score, 4),
        {"per_intent_f1": {k: round(v, 4) for k, v in per_intent.items()}, "errors": errors},
    )
    assert score >= MACRO_F1_FLOOR, "\n".join(errors)


def test_concern_and_what_if_messages_get_the_right_script(predictions):
    relevant = [(t, g, p) for t, g, p in predictions if g in SCRIPT_INTENTS]
    wrong = [f"{g} -> {predicted(p)}: {t}" for t, g, p in relevant if predicted(p) != g]
    rate = 1 - len(wrong) / len(relevant)
    _record("right_script_rate", round(rate, 4), wrong)
    assert rate >= RIGHT_SCRIPT_FLOOR, "\n".join(wrong)


def test_out_of_scope_messages_get_no_pause_script(predictions):
    relevant = [(t, p) for t, g, p in predictions if g == names.INTENT_OUT_OF_SCOPE]
    scripted = [f"{predicted(p)}: {t}" for t, p in relevant if predicted(p) in SCRIPT_INTENTS]
    rate = 1 - len(scripted) / len(relevant)
    _record("out_of_scope_without_script_rate", round(rate, 4), scripted)
    assert rate >= OUT_OF_SCOPE_NO_SCRIPT_FLOOR, "\n".join(scripted)


def test_explicit_requests_for_a_person_are_handed_over(predictions):
    relevant = [(t, p) for t, g, p in predictions if g == names.INTENT_REQUEST_HUMAN]
    missed = [f"{predicted(p)}: {t}" for t, p in relevant if predicted(p) != names.INTENT_REQUEST_HUMAN]
    rate = 1 - len(missed) / len(relevant)
    _record("person_request_rate", round(rate, 4), missed)
    assert rate >= PERSON_REQUEST_FLOOR, "\n".join(missed)


async def test_entities_come_back_as_kinds(agent):
    parse = await agent.parse_message("My HOURLY freelancer ghosted me and keeps billing extra hours")
    found = {(e["entity"], e["value"]) for e in parse["entities"]}
    assert found == {("contract_type", "hourly"), ("concern", "unresponsive"), ("concern", "hours_billing")}
    ghost = next(e for e in parse["entities"] if e["value"] == "unresponsive")
    assert ghost["text"] == "ghosted"
    assert ghost["extractor"] == "SpacyEntityExtractor"
    assert ghost["processors"] == ["EntityKindNormalizer"]


@pytest.mark.parametrize(
    "text",
    ["ich möchte bitte mit einem Mitarbeiter sprechen", "Hi, can I get someone on the phone?", "real human NOW!!!"],
)
async def test_the_person_request_net_holds_through_the_whole_pipeline(agent, text):
    parse = await agent.parse_message(text)
    assert parse["intent"] == {"name": names.INTENT_REQUEST_HUMAN, "confidence": 1.0}
