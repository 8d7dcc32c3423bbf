"""rasa_runtime/trusted_types.py: skops trusts exactly the same types with the saved lists."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rasa_runtime import trusted_types
from tests.helpers.paths import ROOT

# Run in fresh interpreters: which skops module is loaded is decided at import.
DUMP = """
import json, sys
from rasa_runtime import trusted_types
used = trusted_types.install(__import__("pathlib").Path(sys.argv[1])) if len(sys.argv) > 1 else False
import skops.io._trusted_types as m
names = {k: v if isinstance(v, str) else [getattr(i, "__name__", i) for i in v]
         for k, v in vars(m).items() if not k.startswith("_") and isinstance(v, (list, str))}
print(json.dumps({"cached": used, "lists": names}))
"""


def dump(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", DUMP, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("skops") / "trusted.json"
    write = f"import pathlib; from rasa_runtime import trusted_types as t; t.write(pathlib.Path({str(path)!r}))"
    subprocess.run(
        [sys.executable, "-c", write],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    return path


@pytest.fixture(scope="module")
def real_lists():
    return dump()["lists"]


def test_the_saved_lists_are_the_ones_skops_builds(saved, real_lists):
    loaded = dump(str(saved))
    assert loaded["cached"] is True
    assert loaded["lists"] == real_lists
    assert "sklearn.linear_model._logistic.LogisticRegression" in loaded["lists"]["SKLEARN_ESTIMATOR_TYPE_NAMES"]


def test_lists_saved_for_other_package_versions_are_not_used(saved, tmp_path, real_lists):
    data = json.loads(saved.read_text())
    data["versions"]["scikit-learn"] = "0.0.1"
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(data))
    loaded = dump(str(stale))
    assert loaded["cached"] is False and loaded["lists"] == real_lists


def edited(path, change):
    data = json.loads(path.read_text())
    change(data["lists"])
    return json.dumps(data)


@pytest.mark.parametrize(
    "damage",
    [
        lambda path: path.read_text()[:-200],  # cut short
        lambda path: edited(path, lambda lists: lists["SKLEARN_ESTIMATOR_TYPE_NAMES"]["strings"].append(1)),
        lambda path: edited(path, lambda lists: lists["PRIMITIVES_TYPES"]["builtins"].append("open")),
        lambda path: edited(path, lambda lists: lists.update(EXTRA={"objects": ["x"]})),
    ],
    ids=["truncated", "not-a-name", "not-a-type", "unknown-kind"],
)
def test_a_damaged_file_is_not_used(saved, tmp_path, damage):
    broken = tmp_path / "broken.json"
    broken.write_text(damage(saved))
    assert trusted_types.read(broken) is None


def test_a_missing_file_means_skops_builds_the_lists_itself(tmp_path):
    assert trusted_types.read(tmp_path / "none.json") is None
