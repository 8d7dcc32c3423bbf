"""``/agent/api/presence``: an open desk page's heartbeat, and who is at the desk.

- ``POST /agent/api/presence`` with ``{"active": bool, "status": "online" |
  "away" | "offline" | "auto"}`` (``status`` optional: it keeps the choice made
  by hand; ``auto`` follows the page), every ~20 s from ``agent-presence.js``;
  ``{"leaving": true}`` when the page closes. Answers the agent's presence.
- ``GET /agent/api/presence``: every agent, ``online``, ``away`` or ``offline``.

Kept in the hand-over database (``handover/presence.py``): every replica and
the action server see the same, and a hand-over tells the client the truth.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.context import Desk, calling_agent
from handover.presence import CHOICES, EXPIRY, IDLE, PresenceBook
from handover.records import now
from web.http import ApiError, error_response, json_object, json_response

HEARTBEAT_SECONDS = 20


def add_routes(bp: Blueprint, desk: Desk) -> None:
    book = PresenceBook(desk.store)

    @bp.route("/api/presence", methods=["POST"])
    async def heartbeat(request: Request) -> HTTPResponse:
        try:
            agent = calling_agent(desk, request)
            body = json_object(request.body)
            if body.get("leaving") is True:
                await asyncio.to_thread(book.leave, agent)
                return json_response({"agent": agent, "status": "offline"})
            active, chosen = body.get("active", False), body.get("status")
            if not isinstance(active, bool):
                raise ApiError(400, "'active' must be true or false")
            if chosen is not None and chosen not in CHOICES:
                raise ApiError(400, f"'status' must be one of {', '.join(CHOICES)}")
        except ApiError as e:
            return error_response(e.status, e.message, **e.extra)
        presence = await asyncio.to_thread(book.heartbeat, agent, now(), active, chosen)
        return json_response({**presence.to_dict(), **_timing()})

    @bp.route("/api/presence", methods=["GET"])
    async def everyone(request: Request) -> HTTPResponse:
        try:
            calling_agent(desk, request)
        except ApiError as e:
            return error_response(e.status, e.message, **e.extra)
        found = await asyncio.to_thread(book.everyone, now(), list(desk.settings.agents))
        return json_response({"agents": [p.to_dict() for p in found], **_timing()})


def _timing() -> dict[str, Any]:
    return {
        "heartbeat_seconds": HEARTBEAT_SECONDS,
        "offline_after_seconds": int(EXPIRY.total_seconds()),
        "away_after_seconds": int(IDLE.total_seconds()),
    }
