"""The project's own spaCy pipeline: lemmas, entity kinds, and pattern-file errors."""

from __future__ import annotations

import textwrap

import pytest
import spacy

from spacy_pipeline.build import OUTPUT_PATH, PatternError, build, fingerprint, read_patterns


@pytest.fixture(scope="module")
def nlp():
    build()  # no-op when current; the test command built it already
    return spacy.load(OUTPUT_PATH)


def kinds(nlp, text):
    return [(e.label_, e.ent_id_) for e in nlp(text).ents]


def test_the_pipeline_is_blank_english_with_lemmatizer_and_ruler(nlp):
    assert nlp.lang == "en"
    assert nlp.pipe_names == ["lemmatizer", "entity_ruler"]
    assert [t.lemma_ for t in nlp("he was billing hours")] == ["he", "be", "bill", "hour"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("My freelancer GHOSTED me", [("concern", "unresponsive")]),
        ("he isn't responding to my messages", [("concern", "unresponsive")]),
        ("she has not been replying since monday", [("concern", "unresponsive")]),
        ("he keeps billing extra hours", [("concern", "hours_billing"), ("concern", "hours_billing")]),
        ("the code is full of bugs", [("concern", "work_quality")]),
        ("he missed the deadline again", [("concern", "missed_deadline")]),
        ("she was rude and threatened me", [("concern", "conduct"), ("concern", "conduct")]),
        (
            "he wants me to pay him via PayPal outside Upwork",
            [("concern", "off_platform_payment"), ("concern", "off_platform_payment")],
        ),
        ("on my hourly contract", [("contract_type", "hourly")]),
        ("it's a fixed-price project", [("contract_type", "fixed_price")]),
        ("I'll do it later", []),
        ("how do I post a job", []),
    ],
)
def test_entity_ruler_finds_the_kind_whatever_the_wording(nlp, text, expected):
    assert kinds(nlp, text) == expected


def test_bad_pattern_files_name_the_file_line_and_entry(tmp_path):
    path = tmp_path / "patterns.yml"
    path.write_text(
        textwrap.dedent(
            """\
            concern:
              unresponsive:
                - ghost
              quality: []
              billing:
                - ... hours
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(PatternError) as error:
        read_patterns(path)
    message = str(error.value)
    assert f"{path}:4: concern.quality: expected a non-empty list of phrases" in message
    assert f"{path}:5: concern.billing: phrase '... hours' starts or ends with '...'" in message


def test_a_pattern_change_rebuilds_and_takes_effect(tmp_path):
    patterns = tmp_path / "patterns.yml"
    patterns.write_text("concern:\n  unresponsive:\n    - ghost\n", encoding="utf-8")
    out = tmp_path / "pipeline"
    assert build(out, patterns) is True
    assert build(out, patterns) is False  # current: nothing to do
    assert kinds(spacy.load(out), "she vanished") == []

    before = fingerprint(patterns)
    patterns.write_text("concern:\n  unresponsive:\n    - ghost\n    - vanish\n", encoding="utf-8")
    assert fingerprint(patterns) != before
    assert build(out, patterns) is True
    assert kinds(spacy.load(out), "she vanished") == [("concern", "unresponsive")]
