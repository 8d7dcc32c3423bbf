"""``GET /metrics`` on the Rasa server: the Prometheus text format, behind a bearer token.

Mounted as an input channel (``credentials.yml``), like the agent side. The
operator token (``RASA_OPERATOR_TOKEN``) is accepted, and ``METRICS_TOKEN``
when it is set (a scraper's own token, which opens nothing else). With
neither set the route answers 403 and says why: metrics are never open.
"""

from __future__ import annotations

import hmac
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from insights import metrics
from settings.insights import InsightsSettings
from settings.variables import METRICS_TOKEN, OPERATOR_TOKEN
from web import guard
from web.http import error_response

NO_TOKEN = f"metrics are off: set {OPERATOR_TOKEN} or {METRICS_TOKEN} and scrape with that bearer token"
NEEDS_TOKEN = "send 'Authorization: Bearer <operator or metrics token>'"  # noqa: S105 - a message


def token_matches(header: Optional[str], settings: InsightsSettings) -> bool:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return False
    given = value.strip().encode("utf-8")
    return any(
        hmac.compare_digest(given, t.encode("utf-8")) for t in (settings.operator_token, settings.metrics_token) if t
    )


class MetricsInput(InputChannel):
    """Serves GET /metrics (no messages come in here)."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    def url_prefix(self) -> str:
        return "/metrics"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return create_blueprint(InsightsSettings.from_env())


def create_blueprint(settings: InsightsSettings) -> Blueprint:
    bp = Blueprint("metrics", __name__)
    guard.attach(bp)

    @bp.route("", methods=["GET"])
    async def scrape(request: Request) -> HTTPResponse:
        if not (settings.operator_token or settings.metrics_token):
            return error_response(403, NO_TOKEN)
        if not token_matches(request.headers.get("authorization"), settings):
            refused = error_response(401, NEEDS_TOKEN)
            refused.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return refused
        body = await _in_thread(metrics.exposition)
        return response.raw(body, content_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})

    return bp


async def _in_thread(fn: Callable[[], bytes]) -> bytes:
    import asyncio

    return await asyncio.to_thread(fn)
