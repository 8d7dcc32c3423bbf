"""The agent API under ``/agent/api``: the hand-over desk, agent assist, suggestion feedback.

Every route needs an agent credential (``desk/auth.py``) and answers JSON;
errors are ``web.http``'s shape, ``{"error": "…"}`` with 400 (what is wrong
with the request), 401, 403 (the agent side is off), 404, 409 (the
hand-over's state does not allow the step; the hand-over as it is comes along)
or 502/503.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import ratings
from desk import conversation as conv
from desk import live, views
from desk.context import Desk, calling_agent, refusal
from handover.records import (
    AGENT_OUTCOMES,
    FEEDBACK_ACTIONS,
    FEEDBACK_EDITED,
    FEEDBACK_IGNORED,
    FEEDBACK_SENT_AS_IS,
    OUTCOME_CLOSED,
    STATUSES,
    HandOver,
    HandOverConflict,
    HandOverNotFound,
    now,
)
from insights import metrics
from toolkit import names
from toolkit.served import get_library
from web.http import ApiError, json_object, json_response

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000
NEEDS_CREDENTIAL = (
    "an agent credential is required: send 'Authorization: Bearer <token>', or log in on the agent page (/agent/)"
)
Handler = Callable[..., Awaitable[HTTPResponse]]


def agent_only_for(desk: Desk) -> Callable[[Handler], Handler]:
    """Routes that need an agent credential: the agent's name comes as the second argument; errors as JSON."""

    def agent_only(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            try:
                agent = calling_agent(desk, request, NEEDS_CREDENTIAL)
            except ApiError as e:
                return refusal(e.status, e.message)
            try:
                return await handler(request, agent, *args, **kwargs)
            except ApiError as e:
                return refusal(e.status, e.message, **e.extra)
            except HandOverNotFound as e:
                return refusal(404, str(e))
            except HandOverConflict as e:
                current = e.handover.to_dict() if e.handover else None
                if current:
                    current.pop("transcript", None)
                return refusal(409, str(e), handover=current)
            except Exception:  # noqa: BLE001 - say so as JSON; the log has the details
                logger.exception("agent desk: %s %s by %s failed", request.method, request.path, agent)
                return refusal(500, "the request failed on the server (the server log has the details); try again")

        return wrapped

    return agent_only


def add_routes(bp: Blueprint, desk: Desk) -> None:
    settings = desk.settings

    agent_only = agent_only_for(desk)

    @bp.route("/api/me", methods=["GET"])
    @agent_only
    async def me(request: Request, agent: str) -> HTTPResponse:
        return json_response(
            {
                "agent": agent,
                "wait_limit_seconds": settings.wait_limit_seconds,
                "reraise_seconds": settings.reraise_seconds,
            }
        )

    @bp.route("/api/socket-ticket", methods=["GET"])
    @agent_only
    async def socket_ticket(request: Request, agent: str) -> HTTPResponse:
        """A short-lived ticket for the live desk's socket (``desk/live.py``), passed as its ``auth``."""
        return json_response(
            {
                "ticket": desk.live.tickets.issue(agent),
                "expires_in": live.TICKET_SECONDS,
                "namespace": live.NAMESPACE,
                "path": "/socket.io",
                "live": desk.live.sio is not None,
            }
        )

    @bp.route("/api/handovers", methods=["GET"])
    @agent_only
    async def list_handovers(request: Request, agent: str) -> HTTPResponse:
        status = request.args.get("status") or None
        if status is not None and status not in STATUSES:
            raise ApiError(400, f"status must be one of {', '.join(STATUSES)}, not '{status}'")
        found = await asyncio.to_thread(desk.store.list, status, 500)
        counts = await asyncio.to_thread(desk.store.open_counts)
        at = now()
        library = get_library()
        return json_response({"handovers": [views.summary(h, library, at) for h in found], "counts": counts})

    @bp.route("/api/handovers/<handover_id>", methods=["GET"])
    @agent_only
    async def open_handover(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        handover = await asyncio.to_thread(desk.store.require, _id(handover_id))
        return json_response(await views.detail(_rasa_agent_or_none(request), desk, handover))

    @bp.route("/api/handovers/<handover_id>/claim", methods=["POST"])
    @agent_only
    async def claim(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        handover, claimed_now = await asyncio.to_thread(desk.store.claim, _id(handover_id), agent)
        if claimed_now:
            logger.info("hand-over %s claimed by %s", handover.id, agent)
            metrics.observe_claim(handover.created_at, handover.claimed_at)
            await _tell_client(
                request,
                handover,
                response=names.UTTER_AGENT_JOINED,
                values={"agent": agent},
                marks={"agent": agent, "system": True},
            )
            await desk.live.step("claimed", handover, agent)
        return json_response(await views.detail(_rasa_agent_or_none(request), desk, handover))

    @bp.route("/api/handovers/<handover_id>/release", methods=["POST"])
    @agent_only
    async def release(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        handover = await asyncio.to_thread(desk.store.release, _id(handover_id), agent)
        logger.info("hand-over %s released by %s", handover.id, agent)
        await desk.live.step("released", handover, agent)
        return json_response(await views.detail(_rasa_agent_or_none(request), desk, handover))

    @bp.route("/api/handovers/<handover_id>/reply", methods=["POST"])
    @agent_only
    async def reply(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        body = json_object(request.body or b"")
        text = _text(body, "text")
        handover = await asyncio.to_thread(desk.store.record_reply, _id(handover_id), agent, text)
        sent = await _tell_client(
            request,
            handover,
            text=text,
            metadata={"from_agent": True, "agent": agent},
            marks={"from_agent": True, "agent": agent},
        )
        if not sent:
            await asyncio.to_thread(
                desk.store.add_event,
                handover.stored_id,
                agent,
                "reply_failed",
                {"why": "the conversation was not found"},
            )
            raise ApiError(502, f"the reply was kept but could not be added to conversation {handover.conversation_id}")
        await _record_use_of_suggestions(desk, agent, handover, body, text)
        # colleagues with this conversation open see the reply too (they fetch it again)
        reply_at = datetime.now(timezone.utc).isoformat()
        await desk.live.publish(live.AGENT_REPLY, {"handover_id": handover.id, "agent": agent, "time": reply_at})
        return json_response(await views.detail(_rasa_agent_or_none(request), desk, handover))

    @bp.route("/api/handovers/<handover_id>/resolve", methods=["POST"])
    @agent_only
    async def resolve(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        body = json_object(request.body or b"")
        outcome = body.get("outcome")
        if outcome not in AGENT_OUTCOMES:
            raise ApiError(
                400,
                f"'outcome' must be one of {', '.join(AGENT_OUTCOMES)} "
                "(resumed: the bot answers the client again; closed: the chat ends)",
            )
        handover = await asyncio.to_thread(desk.store.resolve, _id(handover_id), agent, outcome)
        closed = outcome == OUTCOME_CLOSED
        logger.info("hand-over %s resolved by %s (%s)", handover.id, agent, outcome)
        await _tell_client(
            request,
            handover,
            response=names.UTTER_HANDOVER_CLOSED if closed else names.UTTER_HANDOVER_RESUMED,
            marks={"handover_ended": True, **ratings.resolution_mark(handover.conversation_id, handover.id)},
            after=conv.end_events(closed),
        )
        tracker = await conv.tracker_of(request.app.ctx.agent, handover.conversation_id)
        if tracker is not None:
            await asyncio.to_thread(desk.store.save_transcript, handover.stored_id, conv.transcript(tracker))
        handover = await asyncio.to_thread(desk.store.require, handover.stored_id)
        await desk.live.step("resolved", handover, agent)
        return json_response(await views.detail(_rasa_agent_or_none(request), desk, handover))

    @bp.route("/api/suggestions", methods=["POST"])
    @agent_only
    async def suggestions(request: Request, agent: str) -> HTTPResponse:
        body = json_object(request.body or b"")
        if ("text" in body) == ("conversation_id" in body):
            raise ApiError(400, "send either 'text' (a client message) or 'conversation_id', not both")
        rasa_agent = _rasa_agent(request)
        if "text" in body:
            text = _text(body, "text")
            parses = [{**(await rasa_agent.parse_message(text)), "text": text}]
        else:
            # the plain id (as in hand-overs), or a client's signed token: its id part
            conversation_id = _text(body, "conversation_id", limit=255).split(".", 1)[0]
            tracker = await conv.tracker_of(rasa_agent, conversation_id)
            if tracker is None:
                raise ApiError(404, f"no conversation with id '{conversation_id}'")
            parses = conv.latest_client_parses(tracker, views.CLIENT_MESSAGES_FOR_SUGGESTIONS)
        return json_response(views.suggestions(desk, parses))

    @bp.route("/api/feedback", methods=["POST"])
    @agent_only
    async def feedback(request: Request, agent: str) -> HTTPResponse:
        body = json_object(request.body or b"")
        macro_id = _text(body, "macro_id", limit=128)
        action = body.get("action")
        if action not in FEEDBACK_ACTIONS:
            raise ApiError(400, f"'action' must be one of {', '.join(FEEDBACK_ACTIONS)}")
        if macro_id not in get_library().macros:
            raise ApiError(400, f"no macro with id '{macro_id}' in the macro library")
        handover_id = body.get("handover_id")
        if handover_id is not None:
            await asyncio.to_thread(desk.store.require, _id(str(handover_id)))
        await asyncio.to_thread(
            desk.store.feedback.record,
            agent,
            macro_id,
            action,
            body.get("conversation_id") if isinstance(body.get("conversation_id"), str) else None,
            int(handover_id) if handover_id is not None else None,
            _confidence(body.get("confidence")),
            body.get("intent") if isinstance(body.get("intent"), str) else None,
        )
        return json_response({"recorded": True}, status=201)

    @bp.route("/api/feedback/summary", methods=["GET"])
    @agent_only
    async def feedback_summary(request: Request, agent: str) -> HTTPResponse:
        return json_response({"macros": await asyncio.to_thread(desk.store.feedback.summary)})


# --- helpers -----------------------------------------------------------------------


def _id(raw: str) -> int:
    if not re.fullmatch(r"[1-9][0-9]{0,17}", raw or ""):
        raise ApiError(404, f"no hand-over with id '{raw}'")
    return int(raw)


def _text(body: Dict[str, Any], name: str, limit: int = MAX_TEXT_CHARS) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"'{name}' must be non-empty text")
    if len(value) > limit:
        raise ApiError(400, f"'{name}' is {len(value)} characters long; at most {limit} are accepted")
    return value.strip()


def _confidence(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, int | float) and 0 <= value <= 1 else None


def _rasa_agent(request: Request):  # noqa: ANN202 - rasa.core.agent.Agent
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        raise ApiError(503, "the assistant's model is not loaded yet; try again in a moment")
    return agent


async def _tell_client(
    request: Request,
    handover: HandOver,
    text: Optional[str] = None,
    response: Optional[str] = None,
    values: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    marks: Optional[Dict[str, Any]] = None,
    after: Optional[list] = None,
) -> bool:
    try:
        await conv.send_to_client(
            _rasa_agent(request),
            handover.conversation_id,
            text=text,
            response=response,
            values=values,
            metadata={"from_desk": True, **(metadata or {})},
            marks=marks,
            after=after,
        )
        return True
    except LookupError as e:
        logger.error("hand-over %s: %s", handover.id, e)
        return False


async def _record_use_of_suggestions(
    desk: Desk, agent: str, handover: HandOver, body: Dict[str, Any], text: str
) -> None:
    """The reply used one suggestion (as is, or edited) and ignored the others shown."""
    shown = body.get("suggestions_shown") or []
    used = body.get("suggestion_used")
    if not isinstance(shown, list):
        return
    library = get_library()
    entries = [s for s in shown if isinstance(s, dict) and s.get("macro_id") in library.macros]
    shown_count = len(entries)  # the rank of each shown one is its place; a macro not shown has none
    if isinstance(used, str) and used in library.macros and all(e["macro_id"] != used for e in entries):
        entries.append({"macro_id": used})
    for rank, entry in enumerate(entries):
        macro_id = entry["macro_id"]
        if macro_id == used:
            same = _normalized(library.macros[macro_id].render_markdown()) == _normalized(text)
            action = FEEDBACK_SENT_AS_IS if same else FEEDBACK_EDITED
        else:
            action = FEEDBACK_IGNORED
        await asyncio.to_thread(
            desk.store.feedback.record,
            agent,
            macro_id,
            action,
            handover.conversation_id,
            handover.id,
            _confidence(entry.get("confidence")),
            entry.get("intent") if isinstance(entry.get("intent"), str) else None,
            rank if rank < shown_count else None,
        )


def _normalized(text: str) -> str:
    return " ".join(text.split())


def _rasa_agent_or_none(request: Request) -> Any:
    return getattr(request.app.ctx, "agent", None)
