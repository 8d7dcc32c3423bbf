"""The code stays lint-clean and formatted (ruff.toml): `make lint` shows the details."""

import subprocess
import sys

import pytest

from launcher.__main__ import LINT_COMMANDS
from tests.conftest import ROOT


@pytest.mark.parametrize("args", LINT_COMMANDS, ids=lambda a: a[0])
def test_ruff(args):
    result = subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
