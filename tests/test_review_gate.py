"""The retrain gate: it refuses a candidate that is worse than the live model, and says why.

The rules on figures made up for the purpose, then one real candidate trained on
deliberately wrong labels (concern and what-if wordings swapped) through
``make retrain``'s own path: labels in the inbox, the export, the training,
the gate; it is refused, nothing is promoted, and ``reviewed.yml`` is taken
back out of the training data.
"""

from __future__ import annotations

import datetime as dt

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from handover.schema import Database
from launcher.model import current_model
from launcher.retrain import retrain_from_labels
from review import gate
from review.export import FILE_NAME
from review.store import ReviewStore
from tests.helpers.figures import record
from tests.helpers.paths import ROOT
from tests.helpers.review import CONCERN, HUMAN, OOS, PAUSE, WHAT_IF, copy_training_data
from tests.helpers.servers import local_settings

FIGURES: dict = {}
EXAMPLES = [("a", CONCERN)] * 10 + [("b", WHAT_IF)] * 10 + [("c", OOS)] * 5 + [("d", HUMAN)] * 5 + [("e", PAUSE)] * 5


def _report(name, wrong_scripts=0, oos_scripted=0):
    predicted = [g for _, g in EXAMPLES]
    for i in range(wrong_scripts):
        predicted[i] = WHAT_IF  # concern messages that get the what-if script
    for i in range(oos_scripted):
        predicted[20 + i] = CONCERN
    return gate.score(name, EXAMPLES, predicted, predicted)


def test_a_candidate_as_good_as_the_current_model_is_promoted():
    verdict = gate.judge(_report("current"), _report("candidate"))
    assert verdict.promote and verdict.reasons == []
    assert "report_freelancer_concern" in verdict.table()


def test_a_candidate_that_sends_fewer_right_scripts_is_refused_even_above_the_floor():
    many = [("a", CONCERN)] * 200 + [("b", WHAT_IF)] * 200 + [("c", OOS)] * 20 + [("d", HUMAN)] * 20
    good = [g for _, g in many]
    worse = list(good)
    worse[0] = WHAT_IF  # one concern message more gets the other script: 0.9975, above 0.97
    verdict = gate.judge(gate.score("current", many, good, good), gate.score("candidate", many, worse, worse))
    assert not verdict.promote
    assert "right_script_rate would fall from 1.000 to 0.998" in verdict.reasons


def test_a_candidate_under_a_floor_is_refused_with_the_figure_and_the_floor():
    verdict = gate.judge(_report("current"), _report("candidate", oos_scripted=1))
    assert not verdict.promote
    assert "out_of_scope_rate is 0.800, under the floor of 0.95" in verdict.reasons


@pytest.fixture(scope="module")
def wrong_labels(tmp_path_factory):
    """A deployment whose inbox holds concern and what-if wordings labelled the other way round."""
    root = tmp_path_factory.mktemp("wrong-labels")
    data = copy_training_data(root / "data")
    settings = local_settings(root / "state")
    store = ReviewStore(Database(f"sqlite:///{settings.state_dir / 'handovers.db'}"))
    training = load_data(str(ROOT / "data" / "nlu" / "toolkit.yml")).intent_examples
    swap = {CONCERN: WHAT_IF, WHAT_IF: CONCERN}
    items, wrong = [], {}
    for n, example in enumerate(e for e in training if e.get("intent") in swap):
        text = "honestly, " + example.get("text")
        wrong[text] = swap[example.get("intent")]
        items.append(
            {
                "conversation_id": f"wrong-{n}",
                "event_key": str(n),
                "at": dt.datetime.now(dt.timezone.utc),
                "text": text,
                "intent": example.get("intent"),
                "confidence": 0.9,
                "reasons": ["low_confidence"],
                "group_key": text.lower(),
            }
        )
    store.insert_many(items)
    ids = {i["text"]: n + 1 for n, i in enumerate(items)}
    intents = {CONCERN, WHAT_IF}
    for intent in intents:
        chosen = [ids[t] for t, label in wrong.items() if label == intent]
        store.label(chosen, "relabel", "mallory", intents, intent)
    return settings, data, root / "models", len(items)


def test_a_candidate_trained_on_wrong_labels_is_refused_and_nothing_changes(wrong_labels, capsys):
    settings, data, models, labelled = wrong_labels
    assert labelled > 100
    result = retrain_from_labels(settings, data, models)
    verdict = result.verdict
    record(FIGURES, "review_gate.json", "wrong_labels_refused_because", verdict.reasons, verdict.to_dict())
    assert not verdict.promote
    assert any(r.startswith("right_script_rate would fall from") for r in verdict.reasons), verdict.reasons
    assert verdict.candidate.figures["right_script_rate"] < gate.FLOORS["right_script_rate"]
    assert verdict.current.model == current_model().name
    assert result.promoted_to is None and not list(models.glob("toolkit-*.tar.gz"))
    assert not (data / "nlu" / FILE_NAME).exists()  # the refused examples are out of the training data
    kept = result.candidate.with_name(result.candidate.name.replace(".tar.gz", f".{FILE_NAME}"))
    assert "honestly," in kept.read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert "the candidate is NOT promoted" in out and "right_script_rate would fall" in out
