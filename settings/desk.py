"""Settings of the agent side: the agents, waiting limits, agent assist, the help-desk webhook.

Read by both servers: the action server needs to know whether hand-overs go to
an outbound help desk; the Rasa server needs everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional
from urllib.parse import urlparse

from settings import variables as v
from settings.read import Env

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOURS_FILE = ROOT / "desk-hours.yml"
MIN_TOKEN_LENGTH = 16
_AGENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


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
    # the team's working hours (toolkit/hours.py reads and checks the file)
    hours_file: Path = DEFAULT_HOURS_FILE
    # wrong agent tokens before a 429, and the window they are counted in (desk/limits.py)
    login_max_failures: int = 5
    login_window_seconds: float = 300.0
    # a waiting hand-over unclaimed this long is raised again on agent pages, once
    reraise_seconds: float = 120.0

    @property
    def agents_enabled(self) -> bool:
        return bool(self.agents)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> DeskSettings:
        read = Env(env)
        agents = _parse_agents(read.raw(v.AGENT_TOKENS) or "", read.problems)
        url = read.text(v.WEBHOOK_URL)
        secret = read.raw(v.WEBHOOK_SECRET)
        if url:
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                read.problems.append(f"{v.WEBHOOK_URL} must be an http(s) URL")
            if not secret:
                read.problems.append(f"{v.WEBHOOK_SECRET} must be set when {v.WEBHOOK_URL} is (deliveries are signed)")
            elif len(secret) < MIN_TOKEN_LENGTH:
                read.problems.append(f"{v.WEBHOOK_SECRET} must be at least {MIN_TOKEN_LENGTH} characters")
        settings = cls(
            agents=agents,
            wait_limit_seconds=read.number(v.WAIT_LIMIT, cls.wait_limit_seconds, 1, 7 * 24 * 3600),
            webhook_url=url,
            webhook_secret=secret if url else None,
            retry_base_seconds=read.number(v.WEBHOOK_RETRY, cls.retry_base_seconds, 0.1, 3600),
            min_confidence=read.number(v.MIN_CONFIDENCE, cls.min_confidence, 0, 1),
            check_interval_seconds=read.number(v.CHECK_INTERVAL, cls.check_interval_seconds, 0.1, 600),
            hours_file=hours_file(env),
            login_max_failures=int(read.number(v.LOGIN_MAX_FAILURES, cls.login_max_failures, 1, 1_000_000)),
            login_window_seconds=read.number(v.LOGIN_WINDOW, cls.login_window_seconds, 1, 24 * 3600),
            reraise_seconds=read.number(v.RERAISE, cls.reraise_seconds, 1, 7 * 24 * 3600),
        )
        read.check("agent-side settings")
        return settings


def hours_file(env: Optional[Mapping[str, str]] = None) -> Path:
    """The working-hours file: ``DESK_HOURS_FILE`` (relative to the repository), else ``desk-hours.yml``."""
    raw = Env(env).text(v.HOURS_FILE)
    if not raw:
        return DEFAULT_HOURS_FILE
    path = Path(raw).expanduser()
    return path if path.is_absolute() else ROOT / path


def _parse_agents(raw: str, problems: List[str]) -> Dict[str, str]:
    """``name:token`` entries separated by spaces or commas."""
    agents: Dict[str, str] = {}
    for position, entry in enumerate(re.split(r"[\s,]+", raw.strip()), start=1):
        if not entry:
            continue
        name, sep, token = entry.partition(":")
        where = f"{v.AGENT_TOKENS}, entry {position}"
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
