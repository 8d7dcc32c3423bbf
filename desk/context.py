"""What every part of the desk shares: its settings, who the agents are, the hand-over store."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Optional

from desk.auth import AgentAuth
from handover.store import HandOverStore
from settings.desk import DeskSettings
from settings.variables import AGENT_TOKENS

OFF_MESSAGE = f"the agent side is off on this server: no agent credentials are configured (set {AGENT_TOKENS})"


@dataclass
class Desk:
    settings: DeskSettings
    auth: AgentAuth
    store: HandOverStore
    background: Optional[asyncio.Task] = None
    live: Any = None  # desk.live.LiveDesk: pushes to agent pages (set by desk/channel.py)
