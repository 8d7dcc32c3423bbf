"""The Insights page of the desk and the figures behind it.

- ``/agent/insights``: the page (after the agent log-in), its script, style
  and chart library (Chart.js, installed by the set-up from
  ``desk/charts/package-lock.json`` and served from here, never a CDN);
- ``/agent/api/insights``: the figures of a period as JSON;
- ``/agent/api/insights.csv``: the same, one row per day or week, as CSV.

Both API routes take ``period`` (7d, 30d, 90d, 365d) or ``from`` and ``to``
(YYYY-MM-DD), and ``group`` (day, week); the CSV also ``fields``. The figures
are computed in ``insights/``; this module also registers the observer that
keeps their summary rows (``insights/observe.py``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Optional

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.auth import COOKIE_NAME
from desk.context import OFF_MESSAGE, Desk, calling_agent, refusal
from insights import figures, observe
from insights.period import PeriodError, parse_period
from insights.table import FieldsError, chosen_fields, to_csv
from settings.insights import InsightsSettings
from web.files import add_static_route
from web.headers import page_headers
from web.http import ApiError, error_response, json_response

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC_FILES = {
    "insights.js": (HERE / "static" / "insights.js", "text/javascript; charset=utf-8"),
    "insights.css": (HERE / "static" / "insights.css", "text/css; charset=utf-8"),
    "chart.umd.min.js": (
        HERE / "charts" / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js",
        "text/javascript; charset=utf-8",
    ),
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
NEEDS_CREDENTIAL = "an agent credential is required: send 'Authorization: Bearer <token>', or log in at /agent/"


def query(request: Request) -> Dict[str, Optional[str]]:
    """The query's parameters, one value each, blank ones kept (``fields=`` is a mistake, not "all")."""
    return {name: values[0] for name, values in request.get_args(keep_blank_values=True).items()}


def add_routes(bp: Blueprint, desk: Desk, settings: Optional[InsightsSettings] = None) -> None:
    config = settings or InsightsSettings.from_env()
    observe.install(desk.store)

    def refused(request: Request) -> Optional[HTTPResponse]:
        try:
            calling_agent(desk, request, NEEDS_CREDENTIAL)
        except ApiError as e:
            return refusal(e.status, e.message)
        return None

    async def compute(request: Request) -> Dict[str, Any]:
        period = parse_period(query(request), datetime.now(timezone.utc).date())
        return await asyncio.to_thread(figures.insights, desk.store, period, datetime.now(timezone.utc), config.window)

    @bp.route("/api/insights", methods=["GET"])
    async def insights_json(request: Request) -> HTTPResponse:
        no = refused(request)
        if no is not None:
            return no
        try:
            if "fields" in query(request):
                raise PeriodError("'fields' is for the CSV download (/agent/api/insights.csv)")
            return json_response(await compute(request))
        except PeriodError as e:
            return error_response(400, str(e))

    @bp.route("/api/insights.csv", methods=["GET"])
    async def insights_csv(request: Request) -> HTTPResponse:
        no = refused(request)
        if no is not None:
            return no
        try:
            fields = chosen_fields(query(request).get("fields"))
            result = await compute(request)
        except (PeriodError, FieldsError) as e:
            return error_response(400, str(e))
        period = result["period"]
        name = f"insights-{period['from']}-{period['to']}-{period['group']}.csv"
        return response.text(
            to_csv(result, fields),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    @bp.route("/insights", methods=["GET"])
    async def page(request: Request) -> HTTPResponse:
        if not desk.auth.enabled:
            return error_response(403, OFF_MESSAGE)
        cookie = request.cookies.get(COOKIE_NAME)
        if not cookie or desk.auth.agent_for_cookie(cookie) is None:
            return response.redirect("/agent/", status=303)  # the log-in is there
        body = (HERE / "static" / "insights.html").read_text(encoding="utf-8")
        return response.html(body, headers=page_headers(PAGE_CSP))

    add_static_route(bp, "/insights/static", STATIC_FILES)
