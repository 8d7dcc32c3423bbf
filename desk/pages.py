"""The agent page: log-in with an agent token, the page itself, its static files."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.auth import COOKIE_NAME, SESSION_SECONDS
from desk.context import Desk
from desk.limits import ANY_AGENT, TooManyAttempts, address_of
from web.files import add_static_route
from web.headers import page_headers
from web.http import error_response

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SHARED_STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"
STATIC_FILES = {
    "agent.js": (STATIC_DIR / "agent.js", "text/javascript; charset=utf-8"),
    "agent.css": (STATIC_DIR / "agent.css", "text/css; charset=utf-8"),
    "agent-live.js": (STATIC_DIR / "agent-live.js", "text/javascript; charset=utf-8"),  # pushes (desk/live.py)
    "agent-keys.js": (STATIC_DIR / "agent-keys.js", "text/javascript; charset=utf-8"),  # keyboard shortcuts
    # the socket.io client, from the widget's npm lock file (installed by the set-up), as the widget has it
    "socket.io.min.js": (
        STATIC_DIR.parent.parent / "widget" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
        "text/javascript; charset=utf-8",
    ),
    # the one renderer of text with safe links, shared with the chat widget
    "safe-links.js": (SHARED_STATIC_DIR / "safe-links.js", "text/javascript; charset=utf-8"),
    "agent-presence.js": (STATIC_DIR / "agent-presence.js", "text/javascript; charset=utf-8"),  # presence
    "login.js": (STATIC_DIR / "login.js", "text/javascript; charset=utf-8"),  # the trial link's log-in
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def add_routes(bp: Blueprint, desk: Desk) -> None:
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
        return log_in(desk, request)

    @bp.exception(TooManyAttempts)
    async def too_many(request: Request, exception: TooManyAttempts) -> HTTPResponse:
        resp = error_response(429, str(exception), retry_after_seconds=exception.retry_after)
        resp.headers["Retry-After"] = str(exception.retry_after)
        return resp

    @bp.route("/logout", methods=["POST"])
    async def logout(request: Request) -> HTTPResponse:
        resp = response.redirect("/agent/", status=303)
        _set_cookie(resp, "", 0, request)
        return resp

    add_static_route(bp, "/static", STATIC_FILES)


def log_in(desk: Desk, request: Request) -> HTTPResponse:
    """The log-in form: a right token sets the session cookie; wrong ones are slowed down (desk/limits.py)."""
    if not desk.auth.enabled:
        return _page("off.html", status=403)
    token = (request.form.get("token") or "").strip()
    named = (request.form.get("agent") or "").strip()[:64] or ANY_AGENT  # optional: who the caller says they are
    address = address_of(request)
    limiter = desk.auth.limiter
    wait = limiter.retry_after(address, named)
    if wait is not None:
        logger.warning("agent page: a log-in from %s was refused for %d s (too many failed log-ins)", address, wait)
        minutes = max(1, round(wait / 60))
        resp = _page("login.html", status=429, error=f"Too many failed log-ins. Try again in {minutes} min.")
        resp.headers["Retry-After"] = str(wait)
        return resp
    agent = desk.auth.agent_for_token(token) if token else None
    if agent is None or named not in (ANY_AGENT, agent):
        limiter.failed(address, named)
        return _page("login.html", status=401, error="That token is not valid. Check it and try again.")
    limiter.succeeded(address)
    logger.info("agent page: %s logged in from %s", agent, address)
    resp = response.redirect("/agent/", status=303)
    _set_cookie(resp, desk.auth.cookie_for(agent), SESSION_SECONDS, request)
    return resp


def _page(name: str, status: int = 200, error: str = "") -> HTTPResponse:
    body = (STATIC_DIR / name).read_text(encoding="utf-8")
    notice = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return response.html(body.replace("<!--error-->", notice), status=status, headers=page_headers(PAGE_CSP))


def _set_cookie(resp: HTTPResponse, value: str, max_age: int, request: Request) -> None:
    resp.cookies[COOKIE_NAME] = value
    cookie = resp.cookies[COOKIE_NAME]
    cookie["path"] = "/agent"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if request.scheme == "https":
        cookie["secure"] = True
