"""The code stays lint-clean, formatted (ruff.toml) and type-checked (mypy.ini): `make lint` shows the details."""

import subprocess
import sys

import pytest

from launcher.__main__ import LINT_COMMANDS
from tests.helpers.paths import ROOT


@pytest.mark.parametrize("args", LINT_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_lint(args):
    result = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
