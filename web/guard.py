"""App-wide rules of the Rasa server: the operator token and security headers.

- Rasa's HTTP API (``/conversations``, ``/model``, ``/domain``, ``/status``)
  needs ``Authorization: Bearer <RASA_OPERATOR_TOKEN>``. Rasa's own
  ``--auth-token`` reads the token from ``?token=`` in the URL, where proxies,
  access logs and browser histories keep it; it is not used. A request that
  puts a ``token`` in its URL is refused, whatever its path.
- Every response gets the security headers of ``web/headers.py``; a page keeps
  the Content-Security-Policy it sets, an HTML page without one gets a
  same-origin-only policy.

Our channels attach this to the app when Rasa registers them
(``attach(blueprint)``); it is installed once per app.
"""

from __future__ import annotations

import hmac
import logging
from typing import Optional

from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from settings.channels import operator_token
from settings.variables import OPERATOR_TOKEN
from web.headers import BASE_HEADERS, HSTS, HTML_DEFAULT_CSP
from web.http import error_response

logger = logging.getLogger(__name__)

API_PREFIXES = ("/conversations", "/model", "/domain", "/status")
API_APP_NAME = "rasa_server"  # the name Rasa gives its app when the HTTP API is on
# error messages (not secrets)
REFUSED_IN_URL = (
    "a token is never accepted in a URL (URLs end up in logs and histories): "
    "send it in the header 'Authorization: Bearer <token>'"
)
API_NEEDS_HEADER = "this is the operator API: send 'Authorization: Bearer <operator token>'"


def attach(bp: Blueprint) -> None:
    """Install the guard on the app ``bp`` is registered on, before it serves."""

    @bp.listener("before_server_start")
    async def install(app: Sanic, _loop) -> None:
        install_on(app)


def install_on(app: Sanic, token: Optional[str] = None) -> None:
    if getattr(app.ctx, "toolkit_guard", False):
        return
    token = token if token is not None else operator_token()
    api_on = app.name == API_APP_NAME
    if api_on and not token:
        raise RuntimeError(f"the Rasa HTTP API is on but {OPERATOR_TOKEN} is not set: refusing to serve an open API")
    app.ctx.toolkit_guard = True

    async def check_request(request: Request) -> Optional[HTTPResponse]:
        if "token" in request.args:
            return error_response(400, REFUSED_IN_URL)
        if api_on and request.path.startswith(API_PREFIXES):
            if not _bearer_matches(request.headers.get("authorization"), token):
                logger.warning(
                    "refused an operator API request without a valid token (%s %s)", request.method, request.path
                )
                refused = error_response(401, API_NEEDS_HEADER)
                refused.headers["WWW-Authenticate"] = "Bearer"
                return refused
        return None

    async def add_headers(request: Request, resp: BaseHTTPResponse) -> None:
        is_html = (resp.content_type or "").startswith("text/html")
        if is_html and "Content-Security-Policy" not in resp.headers:
            resp.headers["Content-Security-Policy"] = HTML_DEFAULT_CSP
        for name, value in BASE_HEADERS.items():
            if name not in resp.headers:
                resp.headers[name] = value
        if request.headers.get("x-forwarded-proto", request.scheme) == "https":
            resp.headers.setdefault("Strict-Transport-Security", HSTS)

    app.register_middleware(check_request, "request")
    app.register_middleware(add_headers, "response")


def _bearer_matches(header: Optional[str], token: Optional[str]) -> bool:
    if not header or not token:
        return False
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode("utf-8"), token.encode("utf-8"))
