"""One route for a page's static files: a fixed table of names, never a path from the request.

The chat page, the agent page and its review and Insights tabs each serve a
few scripts and styles. Each names them in a table (name → file, content
type); a name not in the table is a 404, so no request can reach another file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Tuple

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from web.headers import STATIC_CSP, page_headers
from web.http import error_response

StaticFiles = Mapping[str, Tuple[Path, str]]


def static_file(files: StaticFiles, name: str, embeddable: bool = False) -> HTTPResponse:
    """The file the table names ``name``, with the static files' headers; 404 for any other name."""
    entry = files.get(name)
    if entry is None or not entry[0].is_file():
        return error_response(404, f"no static file '{name}'")
    path, content_type = entry
    headers = page_headers(STATIC_CSP, embeddable=embeddable)
    return response.raw(path.read_bytes(), content_type=content_type, headers=headers)


def add_static_route(bp: Blueprint, prefix: str, files: StaticFiles, embeddable: bool = False) -> None:
    """``GET {prefix}/<name>`` on ``bp`` serves ``files`` (``embeddable``: other sites may load them)."""

    async def static(request: Request, name: str) -> HTTPResponse:
        return static_file(files, name, embeddable)

    route_name = "static" + prefix.replace("/", "_")
    bp.add_route(static, prefix.rstrip("/") + "/<name>", methods=["GET"], name=route_name)
