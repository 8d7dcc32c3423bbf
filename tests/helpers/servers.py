"""A throw-away assistant: free loopback ports, its own state, both servers running."""

from __future__ import annotations

import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.helpers.agents import agent_env


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


@contextmanager
def running_replicas(env: Dict[str, str], tmp_path_factory, secret_key: str, name: str = ""):
    """Two replicas on the shared services of ``env`` (their database, lock store, ...), each with
    the agent side on, from the documented environment variables only: replica A with the action
    server, then replica B (``ASSISTANT_SERVERS=rasa``) on the same action server. Yields both."""
    from settings.launch import LaunchSettings

    action_port = free_port()

    def replica(state: str, servers: str):
        settings = LaunchSettings.from_env(
            {
                **env,
                "ASSISTANT_SERVERS": servers,
                "RASA_PORT": str(free_port()),
                "ACTION_PORT": str(action_port),
                "ASSISTANT_STATE_DIR": str(tmp_path_factory.mktemp(name + state)),
                "ASSISTANT_SECRET_KEY": secret_key,
            }
        )
        settings.env = agent_env()
        return settings

    first, second = replica("a", "actions rasa"), replica("b", "rasa")
    with running_assistant(first, tmp_path_factory.mktemp(name + "la")) as a:
        with running_assistant(second, tmp_path_factory.mktemp(name + "lb")) as b:
            yield a, b
