"""Settings of the agent side, read from the environment (see README "Configuration").

Read by both servers: the action server needs to know whether hand-overs go to
an outbound help desk; the Rasa server needs everything. A value that cannot be
used stops the start with a message naming the variable and what is wrong (and
never echoes a secret).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional
from urllib.parse import urlparse

AGENT_TOKENS_ENV = "ASSISTANT_AGENT_TOKENS"  # noqa: S105 - the variable's name
WAIT_LIMIT_ENV = "HANDOVER_WAIT_LIMIT_SECONDS"
WEBHOOK_URL_ENV = "HANDOVER_WEBHOOK_URL"
WEBHOOK_SECRET_ENV = "HANDOVER_WEBHOOK_SECRET"  # noqa: S105 - the variable's name
RETRY_BASE_ENV = "HANDOVER_WEBHOOK_RETRY_SECONDS"
MIN_CONFIDENCE_ENV = "AGENT_SUGGESTION_MIN_CONFIDENCE"
CHECK_INTERVAL_ENV = "DESK_CHECK_INTERVAL_SECONDS"

MIN_TOKEN_LENGTH = 16
_AGENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class DeskConfigError(ValueError):
    pass


@dataclass(frozen=True)
class DeskSettings:
    # agent name -> token; empty means the agent side is off
    agents: Mapping[str, str] = field(default_factory=dict)
    # a waiting hand-over older than this gets a "what happens next" message
    wait_limit_seconds: float = 600.0
    webhook_url: Optional[str] = None
    webhook_secret: Optional[str] = None
    # first retry after this many seconds, doubling up to retry_cap_seconds
    retry_base_seconds: float = 5.0
    retry_cap_seconds: float = 900.0
    webhook_timeout_seconds: float = 10.0
    # suggestions below this confidence are not shown; at most max_suggestions
    min_confidence: float = 0.3
    max_suggestions: int = 3
    # how often the background checks (timeouts, outbox) run
    check_interval_seconds: float = 5.0

    @property
    def agents_enabled(self) -> bool:
        return bool(self.agents)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> DeskSettings:
        env = os.environ if env is None else env
        problems = []

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not a number")
                return default
            if not low <= value <= high:
                problems.append(f"{name}={raw!r} must be between {low:g} and {high:g}")
            return value

        agents = _parse_agents(env.get(AGENT_TOKENS_ENV, ""), problems)
        url = (env.get(WEBHOOK_URL_ENV) or "").strip() or None
        secret = env.get(WEBHOOK_SECRET_ENV) or None
        if url:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                problems.append(f"{WEBHOOK_URL_ENV} must be an http(s) URL")
            if not secret:
                problems.append(f"{WEBHOOK_SECRET_ENV} must be set when {WEBHOOK_URL_ENV} is (deliveries are signed)")
            elif len(secret) < MIN_TOKEN_LENGTH:
                problems.append(f"{WEBHOOK_SECRET_ENV} must be at least {MIN_TOKEN_LENGTH} characters")
        settings = cls(
            agents=agents,
            wait_limit_seconds=number(WAIT_LIMIT_ENV, cls.wait_limit_seconds, 1, 7 * 24 * 3600),
            webhook_url=url,
            webhook_secret=secret if url else None,
            retry_base_seconds=number(RETRY_BASE_ENV, cls.retry_base_seconds, 0.1, 3600),
            min_confidence=number(MIN_CONFIDENCE_ENV, cls.min_confidence, 0, 1),
            check_interval_seconds=number(CHECK_INTERVAL_ENV, cls.check_interval_seconds, 0.1, 600),
        )
        if problems:
            raise DeskConfigError("invalid agent-side settings:\n" + "\n".join(f"  - {p}" for p in problems))
        return settings


def _parse_agents(raw: str, problems: list) -> Dict[str, str]:
    """``name:token`` entries separated by spaces or commas."""
    agents: Dict[str, str] = {}
    for position, entry in enumerate(re.split(r"[\s,]+", raw.strip()), start=1):
        if not entry:
            continue
        name, sep, token = entry.partition(":")
        where = f"{AGENT_TOKENS_ENV}, entry {position}"
        if not sep:
            problems.append(f"{where}: expected name:token")
            continue
        if not _AGENT_NAME.match(name):
            problems.append(f"{where}: agent name {name!r} must be letters, digits, '.', '_' or '-' (at most 64)")
        elif name in agents:
            problems.append(f"{where}: agent {name!r} is listed twice")
        if len(token) < MIN_TOKEN_LENGTH:
            problems.append(f"{where}: the token of {name!r} must be at least {MIN_TOKEN_LENGTH} characters")
        if token in agents.values():
            problems.append(f"{where}: two agents share one token")
        agents[name] = token
    return agents
