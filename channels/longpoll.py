"""Agent replies for REST-only clients: a long-poll on the conversation's history.

``GET /webhooks/rest/updates?conversation_id=<token>&after=<cursor>&wait=<s>``
answers ``{"messages": [...], "cursor": "<cursor>"}``: the bot's and agents'
messages added to the conversation after ``cursor`` (all of the current
session's without ``after``), oldest first, each with its marks
(``from_agent``, ``agent``, ``system``, ``handover``, ``handover_ended``,
``handover_timeout``) and ``timestamp``; the next call passes the ``cursor``
it got. With none yet, the call waits up to ``wait`` seconds (0 to
``MAX_WAIT_S``, default ``MAX_WAIT_S``) and answers as soon as one comes, else
with no messages and the same cursor.

The messages are read from Rasa's tracker through the Rasa server's agent, so
the call works on any replica. A push to the conversation on this replica
(``channels/live.py``: an agent's reply, a hand-over notice) wakes the wait at
once; messages added on another replica are seen by re-reading every
``RECHECK_S`` seconds. The token is checked as ``POST /webhooks/rest/webhook``
checks ``sender`` (403 for one this server did not issue); a malformed cursor
or wait is a 400 that says what is wrong; more than ``MAX_WAITS`` waits at once
on one conversation, this replica, is a 429.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import live
from channels.identity import ConversationIds
from channels.shapes import marked_shape
from toolkit.names import HANDOVER_RESPONSES
from web.http import ApiError, error_response, json_response

logger = logging.getLogger(__name__)

MAX_WAIT_S = 25.0
RECHECK_S = 1.0
MAX_WAITS = 3  # concurrent waits per conversation on one replica
MARKS = ("from_agent", "agent", "system", "handover", "handover_ended", "handover_timeout")
MESSAGE_KEYS = ("buttons", "quick_replies", "attachment", "custom")

FORGED = "'conversation_id' is not a conversation id this server issued: get one from POST /webhooks/rest/conversations"
NO_CONVERSATION = "give the conversation: GET /webhooks/rest/updates?conversation_id=<your conversation token>"
BAD_CURSOR = "'after' must be the 'cursor' of an earlier answer of /webhooks/rest/updates (a number), not {!r}"
BAD_WAIT = "'wait' must be a number of seconds from 0 to {:g}, not {!r}"
TOO_MANY = "this conversation already has {} waiting calls to /webhooks/rest/updates: wait for one to answer first"
STORE_DOWN = "the conversation store is unavailable; try again shortly"

_waiting: Dict[str, int] = {}


def parse_query(request: Request, ids: ConversationIds) -> Tuple[str, float, float]:
    """The conversation id, cursor and wait of a call, or ApiError saying what is wrong."""
    args = request.get_args(keep_blank_values=True)  # "after=" is a bad cursor, not none
    token = args.get("conversation_id")
    if not token:
        raise ApiError(400, NO_CONVERSATION)
    conversation_id = ids.verify(token)
    if conversation_id is None:
        raise ApiError(403, FORGED)
    return conversation_id, _cursor(args.get("after")), _wait(args.get("wait"))


def _cursor(raw: Optional[str]) -> float:
    if raw is None:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ApiError(400, BAD_CURSOR.format(raw))
    return value


def _wait(raw: Optional[str]) -> float:
    if raw is None:
        return MAX_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (0 <= value <= MAX_WAIT_S):
        raise ApiError(400, BAD_WAIT.format(MAX_WAIT_S, raw))
    return value


def message_of(event: Dict[str, Any]) -> Dict[str, Any]:
    """A bot event of the tracker as the client gets it: text (links filtered), buttons, marks, time."""
    data = event.get("data") or {}
    metadata = event.get("metadata") or {}
    message: Dict[str, Any] = {"text": event.get("text") or ""}
    message.update({key: data[key] for key in MESSAGE_KEYS if data.get(key)})
    message.update({key: metadata[key] for key in MARKS if key in metadata})
    if metadata.get("utter_action") in HANDOVER_RESPONSES:
        message["handover"] = True
    message["timestamp"] = event.get("timestamp")
    return marked_shape(message)


def messages_after(events: List[Dict[str, Any]], after: float) -> List[Dict[str, Any]]:
    return [
        message_of(event)
        for event in events
        if event.get("event") == "bot"
        and isinstance(event.get("timestamp"), int | float)
        and event["timestamp"] > after
    ]


async def read(agent: Any, conversation_id: str, after: float) -> List[Dict[str, Any]]:
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return []
    return messages_after([event.as_dict() for event in tracker.events], after)


def cursor_of(messages: List[Dict[str, Any]], after: float) -> str:
    return repr(float(messages[-1]["timestamp"])) if messages else repr(after)


async def updates(agent: Any, conversation_id: str, after: float, wait: float) -> List[Dict[str, Any]]:
    """The messages after ``after``, waiting up to ``wait`` seconds for the first."""
    deadline = time.monotonic() + wait
    while True:
        with live.watch(conversation_id) as pushed:  # before reading: no push slips between
            messages = await read(agent, conversation_id, after)
            left = deadline - time.monotonic()
            if messages or left <= 0:
                return messages
            try:
                await asyncio.wait_for(pushed.wait(), timeout=min(RECHECK_S, left))
            except asyncio.TimeoutError:
                pass


def add_route(bp: Blueprint, ids: ConversationIds) -> None:
    """``GET /webhooks/rest/updates`` on the REST channel's blueprint."""

    @bp.route("/updates", methods=["GET"])
    async def get_updates(request: Request) -> HTTPResponse:
        try:
            conversation_id, after, wait = parse_query(request, ids)
        except ApiError as e:
            return error_response(e.status, e.message)
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return error_response(503, "the assistant is still starting; try again shortly")
        if _waiting.get(conversation_id, 0) >= MAX_WAITS:
            return error_response(429, TOO_MANY.format(MAX_WAITS))
        _waiting[conversation_id] = _waiting.get(conversation_id, 0) + 1
        try:
            messages = await updates(agent, conversation_id, after, wait)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - the store failing is a clear 503, logged
            incident = uuid.uuid4().hex[:12]
            logger.error("incident %s: reading a conversation for /updates failed (%s)", incident, type(e).__name__)
            return error_response(503, STORE_DOWN, incident=incident)
        finally:
            _waiting[conversation_id] -= 1
            if not _waiting[conversation_id]:
                del _waiting[conversation_id]
        return json_response({"messages": messages, "cursor": cursor_of(messages, after)})
