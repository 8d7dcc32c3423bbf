"""A throw-away assistant: free loopback ports, its own state, both servers running."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def local_settings(state_dir: Path, **overrides: Any):
    """Settings of a throw-away assistant: free loopback ports, its own state."""
    from settings.launch import LaunchSettings

    values = dict(
        rasa_port=free_port(),
        action_port=free_port(),
        state_dir=state_dir,
        handover_db_url=f"sqlite:///{state_dir / 'handovers.db'}",
    )
    values.update(overrides)
    return LaunchSettings(**values)


@contextmanager
def running_assistant(settings, log_dir: Path):
    """The servers ``settings`` name, of the current model, started as `make run` starts them and
    stopped afterwards (also when starting them failed half-way)."""
    from launcher.model import current_model
    from launcher.servers import Assistant

    model = current_model()
    if model is None:
        pytest.fail("no current model: run `make test`, which trains it")
    running = Assistant(settings, model, log_dir=log_dir)
    try:
        running.start()
        running.wait_until_ready()
        yield running
    finally:
        running.stop()
