"""rasa_runtime.install: the replacements go in once, on the pinned Rasa only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rasa_runtime.install import PINNED_RASA, RasaVersionError, check_rasa_version

ROOT = Path(__file__).resolve().parent.parent


def test_another_rasa_version_is_refused_naming_both():
    with pytest.raises(RasaVersionError) as error:
        check_rasa_version("3.6.20")
    assert f"Rasa {PINNED_RASA}" in str(error.value) and "Rasa 3.6.20 is installed" in str(error.value)


def test_the_installed_rasa_is_the_pinned_one():
    check_rasa_version()  # raises when requirements.txt and rasa_runtime disagree


INSTALL_TWICE = """
import sys
from rasa_runtime.install import install
install()
install()
from rasa.core.actions import action
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa_runtime.strict_store import ConversationStoreUnavailable
wrapped = [c.__name__ for c in action.RemoteAction.__mro__].count("ResilientRemoteAction")
print("resilient", wrapped)
store = FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))
try:
    store.on_tracker_store_error(RuntimeError("db down"))
except ConversationStoreUnavailable:
    print("strict")
print("tensorflow", "tensorflow" in sys.modules)
"""


def test_installing_twice_wraps_once_and_the_store_fails_loudly():
    result = subprocess.run(
        [sys.executable, "-c", INSTALL_TWICE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.split("\n")
    assert "resilient 1" in lines  # custom actions keep working when the action server is down, wrapped once
    assert "strict" in lines  # a tracker store outage is an error, never a silent fallback to memory
    assert "tensorflow False" in lines  # nothing of the start imports TensorFlow
