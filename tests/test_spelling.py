"""The spelling normaliser and the keyboard noise, without a trained model (spacy_pipeline/spelling.py, noise.py)."""

from __future__ import annotations

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from spacy_pipeline import noise
from spacy_pipeline.corrector import SpellingCorrector
from spacy_pipeline.person_request import PersonRequestDetector
from spacy_pipeline.spelling import SpellingNormalizer
from spacy_pipeline.vocabulary import domain_vocabulary, general_dictionary, vocabulary_files, words_of_yaml_file
from tests.helpers.paths import ROOT


def _config(name: str) -> dict:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    return next(c for c in pipeline if c["name"].endswith(name))


@pytest.fixture(scope="module")
def general():
    return general_dictionary()


@pytest.fixture(scope="module")
def domain(general):
    texts = [m.get("text") for m in load_data(str(ROOT / "data" / "nlu")).training_examples]
    config = {**SpellingNormalizer.get_default_config(), **_config("SpellingNormalizer")}
    return domain_vocabulary(texts, vocabulary_files(config), general)


@pytest.fixture(scope="module")
def corrector(general, domain):
    return SpellingCorrector(general, domain, keep=_config("SpellingNormalizer")["keep"])


def fixed(corrector, text):
    return corrector.correct(text).text


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("how do i puase my contrct", "how do i pause my contract"),
        ("if the cntractor ghosts me later do i still pay", "if the contractor ghosts me later do i still pay"),
        ("hes not anwering my mesages for a week", "he's not answering my messages for a week"),
        ("tlak to a humna", "talk to a human"),
        ("cna i speek to an agnet", "can i speak to an agent"),
        ("HOW DO I PASE", "HOW DO I PAUSE"),
        ("my freelancr dosent reply", "my freelancer doesn't reply"),
        ("she didnt deliver the milestne", "she didn't deliver the milestone"),
        ("mycontract is hourly", "my contract is hourly"),
        ("Contrct on hold pls", "Contract on hold pls"),
        ("pauding a contract", "pausing a contract"),
    ],
)
def test_hurried_typing_is_corrected(corrector, typed, meant):
    assert fixed(corrector, typed) == meant


def test_the_changes_say_what_was_replaced(corrector):
    correction = corrector.correct("how do i puase my contrct")
    assert correction.as_parse_data() == {
        "text": "how do i pause my contract",
        "changes": [{"from": "puase", "to": "pause"}, {"from": "contrct", "to": "contract"}],
    }


def test_no_domain_word_is_ever_corrected(corrector, domain):
    # every word of the entity patterns and of the macro library, and the words named in the issue
    words = set(words_of_yaml_file(ROOT / "spacy_pipeline" / "patterns.yml"))
    words |= set(words_of_yaml_file(ROOT / "toolkit" / "client_toolkit.yml"))
    words |= {"hourly", "milestone", "upwork", "fixed", "price", "escrow", "timesheet", "whatsapp", "unpause"}
    changed = {
        w: fixed(corrector, f"my {w} thing") for w in words if fixed(corrector, f"my {w} thing") != f"my {w} thing"
    }
    assert not changed


def test_words_the_dictionary_knows_stay(corrector):
    text = "my freelancer stopped answering and the deadline passed, what should I do now?"
    assert fixed(corrector, text) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "/request_human",
        "pay $500.00 to https://example.com/contrct?id=42 or write to jhon.smiht@exmaple.com",
        "invoice 2024-113 for 1,250 usd, 37.5 hrs at 33/hr, ref #A7Bx9",
        "call me at +1 555 0123, my handle is @devguyy",
        "www.mysitte.com is down",
        "🙂🙂🙂",
        "😡😡 !!!",
        "мой фрилансер не отвечает",
        "我的自由职业者不回复",
        "ich möchte bitte mit einem Mitarbeiter sprechen",
        "quiero hablar con un agente",
        "je veux parler à un conseiller",
        "asdfgh qwerty zxcvb",
        "Priya and Arjun built it in React on AWS with GitHub Actions",
    ],
)
def test_bad_input_passes_through_unchanged(corrector, text):
    assert fixed(corrector, text) == text


def test_numbers_urls_addresses_and_amounts_are_never_corrected(corrector):
    text = "he chrged 40hrs, see https://exmple.com/wrok and me@mial.com, $1,200 or 300usd"
    result = fixed(corrector, text)
    for kept in ("40hrs", "https://exmple.com/wrok", "me@mial.com", "$1,200", "300usd"):
        assert kept in result
    assert result.startswith("he charged ")


def test_a_very_long_message_is_safe_and_bounded(corrector):
    text = ("my freelncer stoped anwering and " * 70)[:2000]
    correction = corrector.correct(text)
    expected = text.replace("freelncer", "freelancer").replace("stoped", "stopped").replace("anwering", "answering")
    assert correction.text == expected[: len(expected)]  # each word looked up once, corrected everywhere
    for odd in ("x" * 2000, "a " * 1000, "ab" * 1000, ". " * 1000):
        assert corrector.correct(odd).text == odd


def test_casing_is_kept(corrector):
    assert fixed(corrector, "MY CONTRCT") == "MY CONTRACT"
    assert fixed(corrector, "Contrct") == "Contract"


def test_offsets_in_the_corrected_text_map_back_to_the_words_typed(corrector):
    typed = "my hourly freelncer gohsted me"
    correction = corrector.correct(typed)
    assert correction.text == "my hourly freelancer ghosted me"
    start = correction.text.index("ghosted")
    s, e = correction.original_span(start, start + len("ghosted"))
    assert typed[s:e] == "gohsted"
    s, e = correction.original_span(3, 9)
    assert typed[s:e] == "hourly"


# -- the person-request net on corrected text


@pytest.fixture(scope="module")
def detector():
    return PersonRequestDetector({**PersonRequestDetector.get_default_config(), **_config("PersonRequestDetector")})


@pytest.mark.parametrize(
    "typed",
    ["tlak to a humna", "cna i speek to an agnet", "get me a humann pls", "HUAMN", "i wnat to speek to a persn"],
)
def test_a_misspelt_request_for_a_person_is_recognised(corrector, detector, typed):
    assert detector.is_request(fixed(corrector, typed), typed)


@pytest.mark.parametrize(
    "typed",
    [
        "are yuo a humna?",
        "r u a real persn",
        "am i tlaking to a human",
        "what if i need an agnet later?",
        "wat happens if i want a humna later",
        "the persn i hired stopped replying",
        "my agnda is full, how do i pause",
        "my project manger is rude",
    ],
)
def test_a_spelling_fix_never_makes_a_non_request_a_hand_over(corrector, detector, typed):
    assert not detector.is_request(fixed(corrector, typed), typed)


def test_a_question_about_the_bot_in_the_clients_words_stays_one(detector):
    # even if a correction had lost the question, the words typed decide
    assert not detector.is_request("talk to a human", "am i talking to a humn")


# -- the noise


def test_the_noise_is_the_same_for_the_same_seed_and_differs_between_seeds():
    text = "my freelancer doesn't answer my messages since friday"
    assert noise.add_slips(text, 7) == noise.add_slips(text, 7)
    assert len({noise.add_slips(text, seed) for seed in range(10)}) >= 8
    assert noise.add_slips(text, 7) != text


def test_the_noise_never_touches_numbers_urls_or_addresses():
    text = "pay 500 at https://example.com/pay or bob@example.com"
    for seed in range(30):
        noisy = noise.add_slips(text, seed)
        if noisy.upper() != noisy:  # (a caps-lock slip upper-cases the whole message)
            assert "https://example.com/pay" in noisy and "bob@example.com" in noisy and "500" in noisy


@pytest.mark.parametrize(
    "slip, text, check",
    [
        (
            noise.adjacent_key,
            "contract",
            lambda t: len(t) == 8 and sum(a != b for a, b in zip(t, "contract", strict=True)) == 1,
        ),
        (noise.drop_letter, "contract", lambda t: len(t) == 7),
        (noise.double_letter, "contract", lambda t: len(t) == 9),
        (noise.swap_letters, "contract", lambda t: sorted(t) == sorted("contract") and t != "contract"),
        (noise.missing_space, "my contract", lambda t: t == "mycontract"),
        (noise.missing_apostrophe, "it doesn't", lambda t: t == "it doesnt"),
        (noise.casing, "My Contract", lambda t: t != "My Contract" and t.lower() == "my contract"),
    ],
)
def test_each_kind_of_slip(slip, text, check):
    import random

    results = [slip(text, random.Random(seed)) for seed in range(20)]  # noqa: S311 - noise, not secrets
    made = [r for r in results if r is not None]  # None: that slip cannot change this text
    assert len(made) >= 10 and all(check(r) for r in made), results


def test_adjacent_keys_are_neighbours_on_a_qwerty_keyboard():
    assert set(noise.NEIGHBOURS["s"]) == set("adwezx")
    assert set(noise.NEIGHBOURS["q"]) == set("wa")
    assert set(noise.NEIGHBOURS["m"]) == set("njk")
