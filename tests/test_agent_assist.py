"""Agent assist's ranking (desk/suggest.py) on the real library and on composed macros."""

from __future__ import annotations

import pytest

from desk.suggest import suggest
from toolkit.library import LibraryError, load_library

LIBRARY = load_library()


def parse(text, ranking, entities=()):
    names = [{"name": name, "confidence": conf} for name, conf in ranking]
    return {"text": text, "intent": names[0], "intent_ranking": names, "entities": list(entities)}


def ids(found):
    return [s.macro.id for s in found]


@pytest.mark.parametrize(
    "intent, macro",
    [
        ("report_freelancer_concern", "toolkit_specific_concern"),
        ("ask_what_if", "toolkit_what_if"),
        ("ask_how_to_pause", "toolkit_how_to_pause"),
    ],
)
def test_each_topic_gets_its_macro_first(intent, macro):
    found = suggest([parse("msg", [(intent, 0.92), ("out_of_scope", 0.05)])], LIBRARY, 0.3, 3)
    assert ids(found) == [macro]
    assert found[0].confidence == pytest.approx(0.92)
    assert found[0].intent == intent


def test_an_out_of_scope_message_gets_no_toolkit_macro_even_with_a_pause_intent_runner_up():
    found = suggest([parse("change my card", [("out_of_scope", 0.55), ("ask_how_to_pause", 0.41)])], LIBRARY, 0.3, 3)
    assert found == []


def test_in_a_conversation_an_out_of_scope_question_leaves_the_earlier_concern_standing():
    newest = parse("also, how do I change my card?", [("out_of_scope", 0.6), ("ask_how_to_pause", 0.38)])
    older = parse("my freelancer vanished", [("report_freelancer_concern", 0.9)])
    found = suggest([newest, older], LIBRARY, 0.3, 3)
    assert ids(found) == ["toolkit_specific_concern"]  # and nothing from the card question's runner-up
    assert found[0].message == "my freelancer vanished"


def test_below_the_cut_off_nothing_is_suggested():
    found = suggest([parse("hmm", [("nlu_fallback", 0.5), ("ask_what_if", 0.29), ("greet", 0.2)])], LIBRARY, 0.3, 3)
    assert found == []


def test_an_ambiguous_message_gets_both_scripts_ranked():
    found = suggest(
        [parse("what if he keeps ignoring me", [("ask_what_if", 0.55), ("report_freelancer_concern", 0.4)])],
        LIBRARY,
        0.3,
        3,
    )
    assert ids(found) == ["toolkit_what_if", "toolkit_specific_concern"]


def test_a_request_for_a_person_keeps_the_earlier_topic_and_older_topics_count_less():
    newest = parse("a human please", [("request_human", 1.0)])
    older = parse(
        "my freelancer disappeared",
        [("report_freelancer_concern", 0.9)],
        [{"entity": "concern", "value": "unresponsive", "text": "disappeared"}],
    )
    oldest = parse("what if it goes wrong", [("ask_what_if", 0.8)])
    found = suggest([newest, older, oldest], LIBRARY, 0.3, 3)
    assert ids(found) == ["toolkit_specific_concern", "toolkit_what_if"]
    assert found[0].confidence == pytest.approx(0.9)  # "a human please" is not a topic
    assert found[1].confidence == pytest.approx(0.8 * 0.7)
    as_dict = found[0].to_dict()
    assert as_dict["why"] == {
        "intent": "report_freelancer_concern",
        "message": "my freelancer disappeared",
        "entities": [{"entity": "concern", "value": "unresponsive", "text": "disappeared"}],
    }
    assert as_dict["kb"]["title"] == "Client Contract Issues Best Practices"
    assert "[click here](https://support.upwork.com/hc/en-us/articles/211062218)" in as_dict["text"]


def test_a_macro_composed_of_toolkit_resources_is_suggested_whole(tmp_path):
    path = tmp_path / "library.yml"
    path.write_text(
        LIBRARY.path.read_text(encoding="utf-8") + "\n  billing_dispute:\n"
        "    title: Billing dispute\n"
        "    include: [toolkit_specific_concern, pause_help_article]\n"
        "    kb: client_contract_issues\n"
        "    suggest_for: [report_freelancer_concern]\n",
        encoding="utf-8",
    )
    library = load_library(path)
    found = suggest([parse("he bills hours he never worked", [("report_freelancer_concern", 0.8)])], library, 0.3, 3)
    assert ids(found) == ["toolkit_specific_concern", "billing_dispute"]
    composed = found[1].to_dict()
    concern = library.resource("pause_script_specific_concern").render_markdown()
    article = library.resource("pause_help_article").render_markdown()
    assert composed["text"] == concern + "\n\n" + article
    assert [link["title"] for link in composed["links"]] == ["Put an hourly contract on hold"]


def test_at_most_the_limit_is_returned(tmp_path):
    path = tmp_path / "library.yml"
    extra = "".join(
        f"\n  extra_{i}:\n    title: Extra {i}\n    include: [pause_script_what_if]\n    suggest_for: [ask_what_if]\n"
        for i in range(5)
    )
    path.write_text(LIBRARY.path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    found = suggest([parse("what if", [("ask_what_if", 0.9)])], load_library(path), 0.3, 3)
    assert len(found) == 3


def test_suggest_for_must_list_intents(tmp_path):
    path = tmp_path / "library.yml"
    text = LIBRARY.path.read_text(encoding="utf-8").replace(
        "    suggest_for:\n      - ask_what_if\n", "    suggest_for: ask_what_if\n"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LibraryError) as error:
        load_library(path)
    line = text.splitlines().index("    suggest_for: ask_what_if") + 1
    assert error.value.problems == [
        f"{path}:{line}: macros.toolkit_what_if: 'suggest_for' must be a non-empty list of intent names"
    ]


def test_every_intent_the_library_suggests_for_is_in_the_domain(domain):
    named = {intent for macro in LIBRARY.macros.values() for intent in macro.suggest_for}
    assert named and named <= set(domain["intents"])
