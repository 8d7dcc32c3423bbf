"""Rasa's own checks: the training data validates, and whole conversations in
clients' words (tests/test_stories.yml) go as designed, with no prediction error."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from launcher.model import current_model
from tests.helpers.paths import ROOT
from toolkit import names

# Responses only custom actions send: Rasa cannot see them used in rules.
SENT_BY_ACTIONS = {
    names.UTTER_TOOLKIT_SCRIPT,
    names.UTTER_PAUSE_LINK,
    *names.HANDOVER_RESPONSES,  # which one: who is online, the working hours (handover/announce.py)
    names.UTTER_ASK_WHICH_MEANING,
    names.UTTER_SERVICE_UNAVAILABLE,  # the Rasa server, when the action server is down
    "utter_default",  # action_default_fallback
    # sent by the agent desk
    names.UTTER_AGENT_JOINED,
    names.UTTER_HANDOVER_RESUMED,
    names.UTTER_HANDOVER_CLOSED,
    names.UTTER_HANDOVER_TIMEOUT,
} | {f"{names.UTTER_MEANING_PREFIX}{i}" for i in names.MEANING_INTENTS + (names.INTENT_REQUEST_HUMAN,)}


def rasa(*args, timeout=900):
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_rasa_data_validate_passes_with_only_the_expected_warnings():
    result = rasa("data", "validate", "--config", "config.yml", "--domain", "domain.yml", "--data", "data")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = re.findall(r"UserWarning: (.*)", output)
    unexpected = [
        w
        for w in warnings
        if not (m := re.match(r"The utterance '(\w+)' is not used in any story or rule", w))
        or m.group(1) not in SENT_BY_ACTIONS
    ]
    assert not unexpected, unexpected


def test_conversations_in_clients_words_have_no_prediction_error(tmp_path):
    model = current_model()
    if model is None:
        pytest.fail("no current model: run `make test`, which trains it")
    result = rasa(
        "test",
        "core",
        "--model",
        str(model),
        "--stories",
        "tests/test_stories.yml",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.is_file() else result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, details
    assert "story_report.json" in {p.name for p in tmp_path.iterdir()}, "rasa test wrote no report"
