"""An agent page's live socket (the namespace /agents), as a test drives it."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, List, Optional, Tuple

from tests.helpers.agents import AGENTS, call

EVENTS = (
    "handover_new",
    "handover_claimed",
    "handover_released",
    "handover_resolved",
    "handover_reraised",
    "handover_yours",
    "client_message",
    "note_added",
    "agent_reply",
    "desk_error",
)


def ticket_for(rasa_url: str, name: str) -> str:
    status, answer, _ = call(f"{rasa_url}/agent/api/socket-ticket", token=AGENTS[name])
    assert status == 200, answer
    return answer["ticket"]


class AgentSocket:
    """``async with AgentSocket(url, "alice")``: connected with a fresh ticket (or ``auth`` as given).

    Every event that arrives is kept in ``events`` as (name, data, monotonic time of arrival).
    """

    def __init__(self, url: str, name: Optional[str] = None, auth: Any = None) -> None:
        import socketio

        self.url, self.name, self.auth = url, name, auth
        self.events: List[Tuple[str, Dict[str, Any], float]] = []
        self._arrived = asyncio.Event()
        self.client = socketio.AsyncClient(reconnection=False)
        for event in EVENTS:
            self.client.on(event, self._keeper(event), namespace="/agents")

    def _keeper(self, event: str):
        def keep(data: Any = None) -> None:
            self.events.append((event, data, time.monotonic()))
            self._arrived.set()

        return keep

    async def connect(self) -> None:
        auth = self.auth if self.auth is not None else {"ticket": ticket_for(self.url, self.name or "")}
        await self.client.connect(
            self.url, transports=["websocket"], socketio_path="/socket.io", namespaces=["/agents"], auth=auth
        )

    async def __aenter__(self) -> AgentSocket:
        await self.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.client.disconnect()

    async def emit(self, event: str, data: Any = None) -> None:
        await self.client.emit(event, data, namespace="/agents")

    def of(self, event: str, **match: Any) -> List[Dict[str, Any]]:
        """Data of every ``event`` so far whose (top-level or hand-over) fields match."""
        found = []
        for name, data, _ in self.events:
            if name != event:
                continue
            fields = {**(data or {}), **((data or {}).get("handover") or {})}
            if all(fields.get(k) == v for k, v in match.items()):
                found.append(data)
        return found

    async def wait_for(self, event: str, timeout: float = 10.0, **match: Any) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = self.of(event, **match)
            if found:
                return found[0]
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {event} {match} within {timeout} s; got {[e[0] for e in self.events]}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except asyncio.TimeoutError:
                pass
