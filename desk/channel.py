"""The agent side, served by the Rasa server itself under ``/agent``.

- ``/agent/`` — the agent page (log in with an agent token first);
- ``/agent/api/…`` — agent assist (``POST suggestions``) and the hand-over desk
  (list, open, claim, release, reply, resolve), suggestion feedback;
- a background task that tells clients who waited too long what happens next
  and delivers hand-overs to an external help desk (``desk/outbound.py``).

Configured in ``credentials.yml`` (``desk.channel.AgentDeskInput``), so it runs
in the same process as the bot, with its model, tracker store and macro
library. Without agent credentials in the environment every agent route
answers 403 and the log says why: the agent side is never open.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import constants as c
from actions.handover_store import (
    FEEDBACK_EDITED,
    FEEDBACK_IGNORED,
    FEEDBACK_SENT_AS_IS,
    OUTCOME_CLOSED,
    OUTCOMES,
    STATUS_RESOLVED,
    STATUSES,
    HandOver,
    HandOverConflict,
    HandOverNotFound,
    HandOverStore,
)
from actions.macro_library import get_library
from channels.webchat import security_headers
from desk import conversation as conv
from desk import outbound
from desk.auth import COOKIE_NAME, CSRF_HEADER, SESSION_SECONDS, AgentAuth
from desk.config import AGENT_TOKENS_ENV, DeskSettings
from desk.suggest import entities_of, ranking_of, suggest

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_FILES = {
    "agent.js": "text/javascript; charset=utf-8",
    "agent.css": "text/css; charset=utf-8",
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
MAX_TEXT_CHARS = 4000
CLIENT_MESSAGES_FOR_SUGGESTIONS = 10  # read newest first; the latest three about a topic count
FOLLOW_UP_EMAIL = "email"
OFF_MESSAGE = f"the agent side is off on this server: no agent credentials are configured (set {AGENT_TOKENS_ENV})"


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def _json(data: Any, status: int = 200) -> HTTPResponse:
    return response.json(
        data, status=status, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    )


def _error(status: int, message: str, **extra: Any) -> HTTPResponse:
    resp = _json({"error": message, **extra}, status=status)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="agent desk"'
    return resp


class AgentDeskInput(InputChannel):
    """Mounts the agent side on the Rasa server (no client messages come in here)."""

    @classmethod
    def name(cls) -> str:
        return "agent_desk"

    def url_prefix(self) -> str:
        return "/agent"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return create_blueprint(DeskSettings.from_env())


@dataclass
class _Desk:
    settings: DeskSettings
    auth: AgentAuth
    store: HandOverStore
    task: Optional[asyncio.Task] = None


def create_blueprint(settings: DeskSettings, store: Optional[HandOverStore] = None) -> Blueprint:
    desk = _Desk(settings, AgentAuth(settings.agents), store or HandOverStore())
    bp = Blueprint("agent_desk", __name__)

    @bp.listener("after_server_start")
    async def start_background(app, loop) -> None:  # noqa: ANN001 - Sanic's listener signature
        if desk.auth.enabled:
            logger.info("agent side on for %d agent(s): %s", len(settings.agents), ", ".join(settings.agents))
        else:
            logger.warning("%s%s. Every /agent route answers 403.", OFF_MESSAGE[0].upper(), OFF_MESSAGE[1:])
        if settings.webhook_enabled:
            logger.info("hand-overs are delivered to an external help desk (%s)", outbound.host_of(settings))
        desk.task = loop.create_task(_background(app, desk))

    @bp.listener("before_server_stop")
    async def stop_background(app, loop) -> None:  # noqa: ANN001
        if desk.task is not None:
            desk.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await desk.task
        await asyncio.to_thread(desk.store.dispose)

    def agent_only(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
        @functools.wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            if not desk.auth.enabled:
                return _error(403, OFF_MESSAGE)
            agent = desk.auth.authenticate(request)
            if agent is None:
                return _error(
                    401,
                    "an agent credential is required: send 'Authorization: Bearer <token>', "
                    "or log in on the agent page (/agent/)",
                )
            try:
                return await handler(request, agent, *args, **kwargs)
            except ApiError as e:
                return _error(e.status, e.message, **e.extra)
            except HandOverNotFound as e:
                return _error(404, str(e))
            except HandOverConflict as e:
                current = e.handover.to_dict() if e.handover else None
                if current:
                    current.pop("transcript", None)
                return _error(409, str(e), handover=current)
            except Exception:  # noqa: BLE001 - say so as JSON; the log has the details
                logger.exception("agent desk: %s %s by %s failed", request.method, request.path, agent)
                return _error(500, "the request failed on the server (the server log has the details); try again")

        return wrapped

    # --- the page ---------------------------------------------------------------

    @bp.route("/", methods=["GET"])
    async def page(request: Request) -> HTTPResponse:
        if not desk.auth.enabled:
            return _page("off.html", status=403)
        cookie = request.cookies.get(COOKIE_NAME)
        if not cookie or desk.auth.agent_for_cookie(cookie) is None:
            return _page("login.html")
        return _page("agent.html")

    @bp.route("/login", methods=["POST"])
    async def login(request: Request) -> HTTPResponse:
        if not desk.auth.enabled:
            return _page("off.html", status=403)
        token = (request.form.get("token") or "").strip()
        agent = desk.auth.agent_for_token(token) if token else None
        if agent is None:
            logger.warning("agent page: a log-in with an unknown token was refused")
            return _page("login.html", status=401, error="That token is not valid. Check it and try again.")
        logger.info("agent page: %s logged in", agent)
        resp = response.redirect("/agent/", status=303)
        _set_cookie(resp, desk.auth.cookie_for(agent), SESSION_SECONDS, request)
        return resp

    @bp.route("/logout", methods=["POST"])
    async def logout(request: Request) -> HTTPResponse:
        resp = response.redirect("/agent/", status=303)
        _set_cookie(resp, "", 0, request)
        return resp

    @bp.route("/static/<name>", methods=["GET"])
    async def static(request: Request, name: str) -> HTTPResponse:
        content_type = STATIC_FILES.get(name)
        if content_type is None:
            return _error(404, f"no static file '{name}'")
        return response.raw(
            (STATIC_DIR / name).read_bytes(),
            content_type=content_type,
            headers=security_headers("default-src 'none'"),
        )

    # --- the API ----------------------------------------------------------------

    @bp.route("/api/me", methods=["GET"])
    @agent_only
    async def me(request: Request, agent: str) -> HTTPResponse:
        return _json({"agent": agent, "wait_limit_seconds": settings.wait_limit_seconds})

    @bp.route("/api/handovers", methods=["GET"])
    @agent_only
    async def list_handovers(request: Request, agent: str) -> HTTPResponse:
        status = request.args.get("status") or None
        if status is not None and status not in STATUSES:
            raise ApiError(400, f"status must be one of {', '.join(STATUSES)}, not '{status}'")
        found = await asyncio.to_thread(desk.store.list, status, 500)
        now = _now()
        library = get_library()
        return _json({"handovers": [_summary(h, library, now) for h in found]})

    @bp.route("/api/handovers/<handover_id>", methods=["GET"])
    @agent_only
    async def open_handover(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        handover = await asyncio.to_thread(desk.store.require, _id(handover_id))
        return _json(await _detail(request, desk, handover))

    @bp.route("/api/handovers/<handover_id>/claim", methods=["POST"])
    @agent_only
    async def claim(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        handover, claimed_now = await asyncio.to_thread(desk.store.claim, _id(handover_id), agent)
        if claimed_now:
            logger.info("hand-over %s claimed by %s", handover.id, agent)
            await _tell_client(
                request, handover, response=c.UTTER_AGENT_JOINED, values={"agent": agent}, marks={"agent": agent}
            )
        return _json(await _detail(request, desk, handover))

    @bp.route("/api/handovers/<handover_id>/release", methods=["POST"])
    @agent_only
    async def release(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        handover = await asyncio.to_thread(desk.store.release, _id(handover_id), agent)
        logger.info("hand-over %s released by %s", handover.id, agent)
        return _json(await _detail(request, desk, handover))

    @bp.route("/api/handovers/<handover_id>/reply", methods=["POST"])
    @agent_only
    async def reply(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        body = _body(request)
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
                desk.store.add_event, handover.id, agent, "reply_failed", {"why": "the conversation was not found"}
            )
            raise ApiError(502, f"the reply was kept but could not be added to conversation {handover.conversation_id}")
        await _record_use_of_suggestions(desk, agent, handover, body, text)
        return _json(await _detail(request, desk, handover))

    @bp.route("/api/handovers/<handover_id>/resolve", methods=["POST"])
    @agent_only
    async def resolve(request: Request, agent: str, handover_id: str) -> HTTPResponse:
        body = _body(request)
        outcome = body.get("outcome")
        if outcome not in OUTCOMES:
            raise ApiError(
                400,
                f"'outcome' must be one of {', '.join(OUTCOMES)} "
                "(resumed: the bot answers the client again; closed: the chat ends)",
            )
        handover = await asyncio.to_thread(desk.store.resolve, _id(handover_id), agent, outcome)
        closed = outcome == OUTCOME_CLOSED
        logger.info("hand-over %s resolved by %s (%s)", handover.id, agent, outcome)
        await _tell_client(
            request,
            handover,
            response=c.UTTER_HANDOVER_CLOSED if closed else c.UTTER_HANDOVER_RESUMED,
            marks={"handover_ended": True},
            after=conv.end_events(closed),
        )
        tracker = await conv.tracker_of(request.app.ctx.agent, handover.conversation_id)
        if tracker is not None:
            await asyncio.to_thread(desk.store.save_transcript, handover.id, conv.transcript(tracker))
        handover = await asyncio.to_thread(desk.store.require, handover.id)
        return _json(await _detail(request, desk, handover))

    @bp.route("/api/suggestions", methods=["POST"])
    @agent_only
    async def suggestions(request: Request, agent: str) -> HTTPResponse:
        body = _body(request)
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
            parses = conv.latest_client_parses(tracker, CLIENT_MESSAGES_FOR_SUGGESTIONS)
        return _json(_suggestions(desk, parses))

    @bp.route("/api/feedback", methods=["POST"])
    @agent_only
    async def feedback(request: Request, agent: str) -> HTTPResponse:
        body = _body(request)
        macro_id = _text(body, "macro_id", limit=128)
        action = body.get("action")
        if action not in (FEEDBACK_SENT_AS_IS, FEEDBACK_EDITED, FEEDBACK_IGNORED):
            raise ApiError(400, f"'action' must be one of {FEEDBACK_SENT_AS_IS}, {FEEDBACK_EDITED}, {FEEDBACK_IGNORED}")
        if macro_id not in get_library().macros:
            raise ApiError(400, f"no macro with id '{macro_id}' in the macro library")
        handover_id = body.get("handover_id")
        if handover_id is not None:
            await asyncio.to_thread(desk.store.require, _id(str(handover_id)))
        await asyncio.to_thread(
            desk.store.record_feedback,
            agent,
            macro_id,
            action,
            body.get("conversation_id") if isinstance(body.get("conversation_id"), str) else None,
            int(handover_id) if handover_id is not None else None,
            _confidence(body.get("confidence")),
            body.get("intent") if isinstance(body.get("intent"), str) else None,
        )
        return _json({"recorded": True}, status=201)

    @bp.route("/api/feedback/summary", methods=["GET"])
    @agent_only
    async def feedback_summary(request: Request, agent: str) -> HTTPResponse:
        return _json({"macros": await asyncio.to_thread(desk.store.feedback_summary)})

    return bp


# --- helpers -----------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _page(name: str, status: int = 200, error: str = "") -> HTTPResponse:
    body = (STATIC_DIR / name).read_text(encoding="utf-8")
    notice = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return response.html(body.replace("<!--error-->", notice), status=status, headers=security_headers(PAGE_CSP))


def _set_cookie(resp: HTTPResponse, value: str, max_age: int, request: Request) -> None:
    resp.cookies[COOKIE_NAME] = value
    cookie = resp.cookies[COOKIE_NAME]
    cookie["path"] = "/agent"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if request.scheme == "https":
        cookie["secure"] = True


def _id(raw: str) -> int:
    if not re.fullmatch(r"[1-9][0-9]{0,17}", raw or ""):
        raise ApiError(404, f"no hand-over with id '{raw}'")
    return int(raw)


def _body(request: Request) -> Dict[str, Any]:
    try:
        body = request.json
    except InvalidUsage:
        raise ApiError(400, "the body is not valid JSON") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


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


def _suggestions(desk: _Desk, parses: List[Dict[str, Any]]) -> Dict[str, Any]:
    library = get_library()
    found = suggest(parses, library, desk.settings.min_confidence, desk.settings.max_suggestions)
    understood = []
    for parse in parses:
        ranking = ranking_of(parse)
        top = ranking[0] if ranking else {}
        understood.append(
            {
                "text": parse.get("text", ""),
                "intent": top.get("name"),
                "confidence": round(float(top.get("confidence") or 0.0), 3),
                "entities": entities_of(parse),
            }
        )
    return {
        "suggestions": [s.to_dict() for s in found],
        "understood": understood,
        "min_confidence": desk.settings.min_confidence,
    }


def _summary(handover: HandOver, library: Any, now: datetime) -> Dict[str, Any]:
    data = handover.to_dict()
    transcript = data.pop("transcript")
    created = handover.created_at or now
    ended = handover.claimed_at or handover.resolved_at or (now if handover.status != STATUS_RESOLVED else created)
    script = library.resources.get(handover.script_sent) if handover.script_sent else None
    last_client = next((line["text"] for line in reversed(transcript) if line.get("from") == "client"), None)
    data.update(
        concern=[k for k in (handover.concern or "").split(",") if k],
        waited_seconds=max(0, round((ended - created).total_seconds())),
        bot_sent={
            "script": handover.script_sent,
            "script_title": script.title if script else None,
            "link": handover.link_sent,
        },
        kb={"title": handover.kb_title, "section": handover.kb_section},
        last_client_message=last_client,
    )
    return data


async def _detail(request: Request, desk: _Desk, handover: HandOver) -> Dict[str, Any]:
    """Everything an agent needs about one hand-over."""
    library = get_library()
    data = _summary(handover, library, _now())
    rasa_agent = getattr(request.app.ctx, "agent", None)
    tracker = await conv.tracker_of(rasa_agent, handover.conversation_id) if rasa_agent else None
    if handover.status != STATUS_RESOLVED and tracker is not None:
        data["transcript"] = conv.transcript(tracker)
        parses = conv.latest_client_parses(tracker, CLIENT_MESSAGES_FOR_SUGGESTIONS)
        data["assist"] = _suggestions(desk, parses)
    else:
        data["transcript"] = handover.transcript
        data["assist"] = {"suggestions": [], "understood": [], "min_confidence": desk.settings.min_confidence}
    macro = library.macros.get(handover.macro_id or "")
    if macro and macro.kb:
        data["kb"]["guidance"] = macro.kb.guidance
    data["events"] = [e.to_dict() for e in await asyncio.to_thread(desk.store.events, handover.id)]
    return data


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
    desk: _Desk, agent: str, handover: HandOver, body: Dict[str, Any], text: str
) -> None:
    """The reply used one suggestion (as is, or edited) and ignored the others shown."""
    shown = body.get("suggestions_shown") or []
    used = body.get("suggestion_used")
    if not isinstance(shown, list):
        return
    library = get_library()
    entries = [s for s in shown if isinstance(s, dict) and s.get("macro_id") in library.macros]
    if isinstance(used, str) and used in library.macros and all(e["macro_id"] != used for e in entries):
        entries.append({"macro_id": used})
    for entry in entries:
        macro_id = entry["macro_id"]
        if macro_id == used:
            same = _normalized(library.macros[macro_id].render_markdown()) == _normalized(text)
            action = FEEDBACK_SENT_AS_IS if same else FEEDBACK_EDITED
        else:
            action = FEEDBACK_IGNORED
        await asyncio.to_thread(
            desk.store.record_feedback,
            agent,
            macro_id,
            action,
            handover.conversation_id,
            handover.id,
            _confidence(entry.get("confidence")),
            entry.get("intent") if isinstance(entry.get("intent"), str) else None,
        )


def _normalized(text: str) -> str:
    return " ".join(text.split())


async def _background(app: Any, desk: _Desk) -> None:
    """Every few seconds: clients who waited too long, then the outbox."""
    interval = desk.settings.check_interval_seconds
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                agent = getattr(app.ctx, "agent", None)
                if agent is not None and agent.is_ready():
                    await _notify_long_waits(agent, desk)
                await outbound.deliver_due(desk.store, desk.settings, session)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep checking; the database may come back
                logger.exception("agent desk: a background check failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)


async def _notify_long_waits(agent: Any, desk: _Desk) -> None:
    now = _now()
    cutoff = now - timedelta(seconds=desk.settings.wait_limit_seconds)
    for handover in await asyncio.to_thread(desk.store.waiting_since_before, cutoff):
        waited = (now - (handover.created_at or now)).total_seconds()
        if not await asyncio.to_thread(desk.store.mark_client_notified, handover.id, FOLLOW_UP_EMAIL, waited):
            continue  # another replica told the client, or an agent claimed it meanwhile
        logger.info(
            "hand-over %s waited %.0f s with no agent: the client is told an agent follows up by %s",
            handover.id,
            waited,
            FOLLOW_UP_EMAIL,
        )
        try:
            await conv.send_to_client(
                agent,
                handover.conversation_id,
                response=c.UTTER_HANDOVER_TIMEOUT,
                values={"handover_id": handover.id},
                metadata={"from_desk": True},
                marks={"handover_timeout": True},
            )
        except LookupError as e:
            logger.error("hand-over %s: %s", handover.id, e)


__all__ = ["AgentDeskInput", "create_blueprint", "CSRF_HEADER"]
