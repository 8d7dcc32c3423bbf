"""The review tab: the page ``/agent/review`` and its API under ``/agent/api/review``.

Every route needs an agent credential (``desk/auth.py``) and, when
``ASSISTANT_REVIEWERS`` names reviewers, to be one of them (403 otherwise).
Errors are ``web.http``'s shape, ``{"error": …}``: 400 (an unknown decision,
intent, reason or filter), 401, 403, 404 (an unknown item or label), 409 (the
group already has a decision: the first one comes along as ``labels``; or the
label was already undone), 410 (every conversation of the selection was
deleted), 413 (more than 500 items at once), 503 (conversations are not in
an SQL tracker store). A refused request writes nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.auth import COOKIE_NAME
from desk.context import Desk, calling_agent
from desk.pages import PAGE_CSP, STATIC_DIR
from review import export as export_mod
from review.gather import Gatherer
from review.reasons import REASONS
from review.store import MAX_PAGE, SORTS, STATES, Query, ReviewError, ReviewStale, ReviewStore
from settings.review import ReviewSettings
from settings.variables import REVIEWERS
from toolkit.served import get_library
from web.files import add_static_route
from web.headers import page_headers
from web.http import ApiError, error_response, json_object, json_response

logger = logging.getLogger(__name__)

STATIC_FILES = {
    "review.js": (STATIC_DIR / "review.js", "text/javascript; charset=utf-8"),
    "review.css": (STATIC_DIR / "review.css", "text/css; charset=utf-8"),
}
NO_SQL_STORE = (
    "the review inbox reads conversations from Rasa's SQL tracker store, and this server keeps them elsewhere"
)


def add_routes(bp: Blueprint, desk: Desk, settings: Optional[ReviewSettings] = None) -> None:
    review = settings or ReviewSettings.from_env(agents=desk.settings.agents)
    store = ReviewStore(desk.store)
    gathering = asyncio.Lock()

    def reviewer_only(handler: Callable[..., Awaitable[HTTPResponse]]) -> Callable[..., Awaitable[HTTPResponse]]:
        @functools.wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            try:
                agent = calling_agent(desk, request)
            except ApiError as e:
                return error_response(e.status, e.message)
            if not review.may_review(agent):
                return error_response(403, f"{agent} may not review: {REVIEWERS} names the agents who may")
            try:
                return await handler(request, agent, *args, **kwargs)
            except ApiError as e:
                return error_response(e.status, e.message, **e.extra)
            except ReviewError as e:
                return error_response(e.status, str(e), **e.extra)
            except Exception:  # noqa: BLE001 - say so as JSON; the log has the details
                logger.exception("review: %s %s by %s failed", request.method, request.path, agent)
                return error_response(500, "the request failed on the server (the server log has the details)")

        return wrapped

    def gatherer(request: Request) -> Gatherer:
        engine = tracker_engine(request.app.ctx.agent)
        if engine is None:
            raise ApiError(503, NO_SQL_STORE)
        return Gatherer(engine, store)

    @bp.route("/review", methods=["GET"])
    async def page(request: Request) -> HTTPResponse:
        cookie = request.cookies.get(COOKIE_NAME)
        if not desk.auth.enabled or not cookie or desk.auth.agent_for_cookie(cookie) is None:
            return response.redirect("/agent/", status=303)
        body = (STATIC_DIR / "review.html").read_text(encoding="utf-8")
        return response.html(body, headers=page_headers(PAGE_CSP))

    add_static_route(bp, "/review/static", STATIC_FILES)

    @bp.route("/api/review/items", methods=["GET"])
    @reviewer_only
    async def items(request: Request, agent: str) -> HTTPResponse:
        query = _query(request, intents_of(request))
        found = gatherer(request)
        async with gathering:  # one read of the tracker store at a time per server
            await asyncio.to_thread(found.gather)
        listed = await asyncio.to_thread(store.list, query)
        listed["reasons"] = [{"name": r.name, "title": r.title} for r in REASONS.values()]
        listed["intents"] = intents_of(request)
        return json_response(listed)

    @bp.route("/api/review/items/<item_id>", methods=["GET"])
    @reviewer_only
    async def item(request: Request, agent: str, item_id: str) -> HTTPResponse:
        return json_response(await asyncio.to_thread(store.item, _number(item_id, "review item")))

    @bp.route("/api/review/labels", methods=["POST"])
    @reviewer_only
    async def label(request: Request, agent: str) -> HTTPResponse:
        body = json_object(request.body or b"", limit=64 * 1024)
        ids = body.get("items")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ApiError(400, "'items' must be a list of review item ids (numbers)")
        decision, intent = body.get("decision"), body.get("intent")
        if intent is not None and not isinstance(intent, str):
            raise ApiError(400, "'intent' must be the name of an intent")
        found = await asyncio.to_thread(store.conversations_of, ids)
        conversations = sorted({c for f in found.values() for c in f["conversations"]})
        alive = await asyncio.to_thread(gatherer(request).existing, conversations)
        gone = set(conversations) - alive
        dead = [i for i, f in found.items() if f["conversations"] and not f["conversations"] & alive]
        if dead:
            await asyncio.to_thread(store.mark_stale, gone)
            raise ReviewStale(
                f"item {', '.join(map(str, sorted(dead)))}: the conversation was deleted; nothing was labelled",
                stale=sorted(dead),
            )
        labels = await asyncio.to_thread(store.label, ids, str(decision), agent, intents_of(request), intent)
        logger.info("review: %s labelled %d group(s) %s", agent, len(labels), decision)
        return json_response({"labels": labels}, status=201)

    @bp.route("/api/review/labels/<label_id>/undo", methods=["POST"])
    @reviewer_only
    async def undo(request: Request, agent: str, label_id: str) -> HTTPResponse:
        return json_response(await asyncio.to_thread(store.undo, _number(label_id, "label"), agent))

    @bp.route("/api/review/export", methods=["POST"])
    @reviewer_only
    async def export(request: Request, agent: str) -> HTTPResponse:
        existing = gatherer(request).existing
        result = await asyncio.to_thread(export_mod.export, store, review.data_dir, [review.test_file], existing)
        logger.info("review: %s exported %d examples to %s", agent, result.examples, result.path)
        return json_response(result.to_dict())

    @bp.route("/api/review/feedback", methods=["GET"])
    @reviewer_only
    async def feedback(request: Request, agent: str) -> HTTPResponse:
        counts = await asyncio.to_thread(desk.store.feedback.summary)
        library = get_library()
        macros = [
            {"macro_id": m, "title": library.macros[m].title if m in library.macros else m, **c}
            for m, c in sorted(counts.items())
        ]
        return json_response({"macros": macros})

    @bp.route("/api/review/model", methods=["GET"])
    @reviewer_only
    async def model(request: Request, agent: str) -> HTTPResponse:
        return json_response(live_model(request.app.ctx.agent))


def intents_of(request: Request) -> List[str]:
    return sorted(request.app.ctx.agent.domain.intents)


def tracker_engine(agent: Any) -> Any:
    """The SQLAlchemy engine of Rasa's SQL tracker store, under Rasa's wrappers (None for another store)."""
    store = getattr(agent, "tracker_store", None)
    for _ in range(6):
        if store is None:
            return None
        if hasattr(store, "engine") and hasattr(store, "SQLEvent"):
            return store.engine
        store = getattr(store, "_tracker_store", None) or getattr(store, "tracker_store", None)
    return None


def live_model(agent: Any) -> Dict[str, Any]:
    """Which model the server serves, and when it was trained."""
    processor = getattr(agent, "processor", None)
    metadata = getattr(processor, "model_metadata", None)
    trained = getattr(metadata, "trained_at", None)
    path = getattr(processor, "model_path", None)
    return {
        "model": path.name if path is not None else None,
        "model_id": getattr(metadata, "model_id", None),
        "trained_at": trained.isoformat() if isinstance(trained, dt.datetime) else None,
    }


def _number(raw: str, what: str) -> int:
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(404, f"no {what} with id '{raw}'")
    return int(raw)


def _query(request: Request, intents: List[str]) -> Query:
    args = request.args
    reason, intent = args.get("reason") or None, args.get("intent") or None
    if reason is not None and reason not in REASONS:
        raise ApiError(400, f"'reason' must be one of {', '.join(REASONS)}, not '{reason}'")
    if intent is not None and intent not in intents:
        raise ApiError(400, f"'intent' must be an intent of the domain ({', '.join(intents)}), not '{intent}'")
    state, sort = args.get("state") or "open", args.get("sort") or "newest"
    if state not in STATES:
        raise ApiError(400, f"'state' must be one of {', '.join(STATES)}, not '{state}'")
    if sort not in SORTS:
        raise ApiError(400, f"'sort' must be one of {', '.join(SORTS)}, not '{sort}'")
    page, per_page = (
        _int(args.get("page"), "page", 1, 10**6, 1),
        _int(args.get("per_page"), "per_page", 1, MAX_PAGE, 50),
    )
    since, until = _date(args.get("since"), "since"), _date(args.get("until"), "until")
    if until is not None:
        until += dt.timedelta(days=1)  # the whole of that day
    return Query(reason, intent, since, until, state, sort, page, per_page)


def _int(raw: Optional[str], name: str, low: int, high: int, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, f"'{name}' must be a whole number from {low} to {high}, not '{raw}'")
    return int(raw)


def _date(raw: Optional[str], name: str) -> Optional[dt.datetime]:
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be a date, YYYY-MM-DD, not '{raw}'") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
