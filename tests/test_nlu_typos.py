"""Typo-robust understanding on the real model: floors on the held-out test set, clean and noisy.

The noisy copy of tests/nlu/test_nlu.yml is made with the same noise functions the
training step uses (spacy_pipeline/noise.py), with another seed. The figures are
printed at the end of the run and written to test-artifacts/nlu_typos.json.
"""

from __future__ import annotations

import asyncio
from typing import Dict, List, Tuple

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from spacy_pipeline.noise import add_slips
from spacy_pipeline.spelling import NORMALIZED
from tests.helpers.figures import record
from tests.helpers.paths import ROOT

TEST_SET = ROOT / "tests" / "nlu" / "test_nlu.yml"

NOISE_SEED = 20261203  # training uses seeds 1000, 1001 (config.yml)
SLIPS = 3

# names as in actions/constants.py (read as literals, so this file does not depend on its place)
CONCERN, WHAT_IF, HOW_TO_PAUSE = "report_freelancer_concern", "ask_what_if", "ask_how_to_pause"
REQUEST_HUMAN, OUT_OF_SCOPE = "request_human", "out_of_scope"
SCRIPT_INTENTS = {CONCERN, WHAT_IF}

RIGHT_SCRIPT_FLOOR = 0.97  # concern and what-if messages that get their own script, clean
NOISY_COST_CEILING = 0.03  # the noisy copy at most 3 points lower
OUT_OF_SCOPE_NO_SCRIPT_FLOOR = 0.95  # clean and noisy
PERSON_REQUEST_FLOOR = 1.0  # clean and noisy

FIGURES: Dict[str, object] = {}


@pytest.fixture(scope="module")
def agent(trained_agent):
    return trained_agent


def _examples() -> List[Tuple[str, str]]:
    return [(e.get("text"), e.get("intent")) for e in load_data(str(TEST_SET)).intent_examples]


@pytest.fixture(scope="module")
def parsed(agent) -> Dict[str, List[Tuple[str, str, dict]]]:
    examples = _examples()
    train = {e.get("text").strip().lower() for e in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    assert not [t for t, _ in examples if t.strip().lower() in train], "test examples are in the training data"
    noisy = [(add_slips(t, NOISE_SEED, SLIPS), g) for t, g in examples]

    async def parse(pairs):
        return [(t, g, await agent.parse_message(t)) for t, g in pairs]

    return {"clean": asyncio.run(parse(examples)), "noisy": asyncio.run(parse(noisy))}


def _intent(parse: dict) -> str:
    return parse["intent"]["name"]


def _rate(rows, gold_in, good) -> Tuple[float, List[str]]:
    relevant = [(t, g, p) for t, g, p in rows if g in gold_in]
    wrong = [f"{g} -> {_intent(p)}: {t}" for t, g, p in relevant if not good(g, _intent(p))]
    return 1 - len(wrong) / len(relevant), wrong


def _record(name: str, value, details=None) -> None:
    record(FIGURES, "nlu_typos.json", name, value, details)


def test_the_noisy_copy_really_is_noisy_and_the_same_every_run(parsed):
    clean = [t for t, _, _ in parsed["clean"]]
    noisy = [t for t, _, _ in parsed["noisy"]]
    assert noisy == [add_slips(t, NOISE_SEED, SLIPS) for t in clean]
    changed = sum(a != b for a, b in zip(clean, noisy, strict=True))
    assert changed >= 0.95 * len(clean)


def test_per_intent_figures(parsed):
    table = {}
    for kind, rows in parsed.items():
        for intent in sorted({g for _, g, _ in rows}):
            mine = [(g, _intent(p)) for _, g, p in rows if g == intent]
            table.setdefault(intent, {})[kind] = round(sum(g == p for g, p in mine) / len(mine), 4)
    _record("per_intent_accuracy", table)
    assert set(table) >= SCRIPT_INTENTS


def test_concern_and_what_if_get_the_right_script_clean(parsed):
    rate, wrong = _rate(parsed["clean"], SCRIPT_INTENTS, lambda g, p: g == p)
    _record("right_script_rate_clean", round(rate, 4), wrong)
    assert rate >= RIGHT_SCRIPT_FLOOR, "\n".join(wrong)


def test_typos_cost_at_most_three_points(parsed):
    clean, _ = _rate(parsed["clean"], SCRIPT_INTENTS, lambda g, p: g == p)
    noisy, wrong = _rate(parsed["noisy"], SCRIPT_INTENTS, lambda g, p: g == p)
    _record("right_script_rate_noisy", round(noisy, 4), wrong)
    _record("typo_cost_points", round(100 * (clean - noisy), 2))
    assert clean - noisy <= NOISY_COST_CEILING, "\n".join(wrong)


@pytest.mark.parametrize("kind", ["clean", "noisy"])
def test_out_of_scope_never_gets_a_pause_script(parsed, kind):
    rate, wrong = _rate(parsed[kind], {OUT_OF_SCOPE}, lambda g, p: p not in SCRIPT_INTENTS)
    _record(f"out_of_scope_without_script_rate_{kind}", round(rate, 4), wrong)
    assert rate >= OUT_OF_SCOPE_NO_SCRIPT_FLOOR, "\n".join(wrong)


@pytest.mark.parametrize("kind", ["clean", "noisy"])
def test_explicit_requests_for_a_person_always_hand_over(parsed, kind):
    rate, wrong = _rate(parsed[kind], {REQUEST_HUMAN}, lambda g, p: p == REQUEST_HUMAN)
    _record(f"person_request_rate_{kind}", round(rate, 4), wrong)
    assert rate >= PERSON_REQUEST_FLOOR, "\n".join(wrong)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("how do i puase my contrct", HOW_TO_PAUSE),
        ("if the cntractor ghosts me later do i still pay", WHAT_IF),
        ("should a contractor ever quit halfway, am I still charged?", WHAT_IF),
        ("she's been ignoring me since friday, what now??", CONCERN),
        ("hes not anwering my mesages for a week", CONCERN),
        ("tlak to a humna", REQUEST_HUMAN),
        ("cna i speek to an agnet", REQUEST_HUMAN),
    ],
)
async def test_the_issues_examples(agent, text, intent):
    assert _intent(await agent.parse_message(text)) == intent


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("are yuo a humna?", "are you a human?"),
        ("what if i need an agnet later?", "what if i need an agent later?"),
        ("the persn i hired is rude", "the person i hired is rude"),
        ("my project manger stopped answering", "my project manager stopped answering"),
    ],
)
async def test_a_spelling_fix_never_hands_over_a_non_request(agent, typed, meant):
    """A typo'd message is handed over only where the same message typed right is too."""
    clean = _intent(await agent.parse_message(meant))
    if _intent(await agent.parse_message(typed)) == REQUEST_HUMAN:
        assert clean == REQUEST_HUMAN
    parse = await agent.parse_message(typed)
    assert parse["intent"]["confidence"] < 1.0 or clean == REQUEST_HUMAN  # never the net's hand-over


async def test_the_parse_keeps_the_clients_words_and_says_what_was_understood(agent):
    typed = "my hourly freelncer gohsted me, how do i puase the contrct"
    parse = await agent.parse_message(typed)
    assert parse["text"] == typed
    assert parse[NORMALIZED]["text"] == "my hourly freelancer ghosted me, how do i pause the contract"
    assert {"from": "gohsted", "to": "ghosted"} in parse[NORMALIZED]["changes"]
    found = {(e["entity"], e["value"], typed[e["start"] : e["end"]], e["text"]) for e in parse["entities"]}
    assert ("concern", "unresponsive", "gohsted", "gohsted") in found  # offsets on the words typed
    assert ("contract_type", "hourly", "hourly", "hourly") in found


async def test_a_clean_message_has_no_changes(agent):
    parse = await agent.parse_message("my freelancer stopped answering")
    assert parse[NORMALIZED] == {"text": "my freelancer stopped answering", "changes": []}


async def test_the_tracker_keeps_what_the_client_typed_and_the_normalised_parse(agent):
    """Through Rasa's own message handling: the stored user event has the original text."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.tracker_store import InMemoryTrackerStore

    agent.tracker_store = InMemoryTrackerStore(agent.domain)
    agent.processor.tracker_store = agent.tracker_store
    typed = "hwo do i puase my contrct"
    await agent.handle_message(UserMessage(typed, CollectingOutputChannel(), sender_id="typo-client"))
    tracker = await agent.tracker_store.retrieve("typo-client")
    user = [e for e in tracker.events if e.type_name == "user"][-1]
    assert user.text == typed
    assert user.parse_data["text"] == typed
    assert user.parse_data[NORMALIZED]["text"] == "how do i pause my contract"
    assert user.intent_name == HOW_TO_PAUSE
    # and it survives the round trip through the stored form of the event
    stored = user.as_dict()
    assert stored["text"] == typed and stored["parse_data"][NORMALIZED]["changes"]


@pytest.mark.parametrize(
    "text",
    [
        "x" * 2000,
        ("my freelncer is not anwering " * 80)[:2000],
        "мой фрилансер не отвечает",
        "🙂🙂🙂",
        "ich möchte mit einem Mitarbeiter sprechen, my contrct is hourly",
        "https://exmple.com/a?b=c 123 456 $1,200 me@mial.com",
    ],
)
async def test_no_message_crashes_the_pipeline(agent, text):
    parse = await agent.parse_message(text)
    assert parse["text"] == text
    assert parse["intent"]["name"]
