"""The two test agents, their environment, and the desk API as an agent calls it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Dict

# always open: what a client is told at hand-over follows who is at the desk, not the hour
ALWAYS_OPEN = Path(__file__).resolve().parent / "always-open-hours.yml"
AGENTS = {"alice": "alice-token-" + uuid.uuid4().hex, "bob": "bob-token-" + uuid.uuid4().hex}


def agent_env(**more: str) -> Dict[str, str]:
    """Environment that turns the agent side on for the two test agents.

    The suite's many deliberate wrong tokens all come from 127.0.0.1: the log-in limit
    (desk/limits.py, tested in tests/test_login_limits.py) is set out of their way.
    """
    tokens = " ".join(f"{name}:{token}" for name, token in AGENTS.items())
    return {
        "ASSISTANT_AGENT_TOKENS": tokens,
        "DESK_CHECK_INTERVAL_SECONDS": "0.5",
        "DESK_LOGIN_MAX_FAILURES": "100000",
        "DESK_HOURS_FILE": str(ALWAYS_OPEN),
        **more,
    }


def call(url, method="GET", body=None, token=None, headers=None, raw=None):
    """(status, JSON answer or None, response headers)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None, response.headers
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        return e.code, answer, e.headers


class Agent:
    """One of AGENTS on the desk API of ``server`` (its settings): ``agent(method, path, body, expect)``."""

    def __init__(self, server, name):
        self.base = f"{server.rasa_url}/agent/api"
        self.token = AGENTS[name]
        self.name = name

    def __call__(self, method, path, body=None, expect=200):
        status, answer, _ = call(self.base + path, method, body, token=self.token)
        assert status == expect, (status, answer)
        return answer
