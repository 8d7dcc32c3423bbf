"""What every part of the desk shares: its settings, who the agents are, the hand-over store, and
who is calling (403 when the agent side is off, 401 without a credential)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Optional

from sanic.response import HTTPResponse

from desk.auth import AgentAuth
from handover.store import HandOverStore
from settings.desk import DeskSettings
from settings.variables import AGENT_TOKENS
from web.http import ApiError, error_response

OFF_MESSAGE = f"the agent side is off on this server: no agent credentials are configured (set {AGENT_TOKENS})"
LOG_IN_FIRST = "an agent credential is required: log in on the agent page (/agent/)"


@dataclass
class Desk:
    settings: DeskSettings
    auth: AgentAuth
    store: HandOverStore
    background: Optional[asyncio.Task] = None
    live: Any = None  # desk.live.LiveDesk: pushes to agent pages (set by desk/channel.py)


def calling_agent(desk: Desk, request: Any, needs_credential: str = LOG_IN_FIRST) -> str:
    """The agent making ``request``: ``ApiError`` 403 when the agent side is off, 401 saying
    ``needs_credential`` when the request carries no agent credential."""
    if not desk.auth.enabled:
        raise ApiError(403, OFF_MESSAGE)
    agent = desk.auth.authenticate(request)
    if agent is None:
        raise ApiError(401, needs_credential)
    return agent


def refusal(status: int, message: str, **extra: Any) -> HTTPResponse:
    """The JSON error, with the bearer challenge on a 401."""
    resp = error_response(status, message, **extra)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="agent desk"'
    return resp
