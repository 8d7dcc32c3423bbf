"""What a test does when something it needs is missing here: skip with the reason, or fail under CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci() -> bool:
    """CI=true (or 1, yes): everything a test needs must be there."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(message: str) -> NoReturn:
    """Skips the test with ``message``, or fails it under CI, where nothing may be missing."""
    if under_ci():
        pytest.fail(message + " and CI requires it")
    pytest.skip(message)
