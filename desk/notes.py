"""Internal notes on a hand-over: what agents tell each other, never the client.

- ``GET /agent/api/handovers/<id>/notes`` — the hand-over's notes, oldest first;
- ``POST /agent/api/handovers/<id>/notes`` with ``{"text": "..."}`` — a new
  note (checked like a reply: non-empty text of at most 4000 characters;
  masked like every stored text), answered 201 with the note, and pushed to
  every open agent page (``note_added``, ``desk/live.py``).

A note is in the hand-over database only (``handover/notes.py``): it is never
added to the conversation, so it never reaches the client's chat or transcript.
"""

from __future__ import annotations

import asyncio
import logging

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from desk import live
from desk.api import _id, _text, agent_only_for
from desk.context import Desk
from web.http import json_object, json_response

logger = logging.getLogger(__name__)


def add_routes(bp: Blueprint, desk: Desk) -> None:
    agent_only = agent_only_for(desk)

    @bp.route("/api/handovers/<handover_id>/notes", methods=["GET"])
    @agent_only
    async def list_notes(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        handover = await asyncio.to_thread(desk.store.require, _id(handover_id))
        return json_response({"notes": await asyncio.to_thread(desk.store.notes.of, handover.stored_id)})

    @bp.route("/api/handovers/<handover_id>/notes", methods=["POST"])
    @agent_only
    async def add_note(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        text = _text(json_object(request.body or b""), "text")
        handover = await asyncio.to_thread(desk.store.require, _id(handover_id))
        note = await asyncio.to_thread(desk.store.notes.add, handover.stored_id, agent, text)
        logger.info("hand-over %s: %s added a note", handover.id, agent)
        await desk.live.publish(live.NOTE_ADDED, {"handover_id": handover.id, "note": note})
        return json_response(note, status=201)
