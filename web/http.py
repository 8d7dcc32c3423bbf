"""One JSON-body parser and one error shape for every route of the assistant.

An error is ``{"error": "<what is wrong, so a caller can act on it>", ...}``
with a 4xx or 5xx status. Routes raise ``ApiError``; ``error_response`` turns
it into the answer.
"""

from __future__ import annotations

import json
from typing import Any, Dict

from sanic import response
from sanic.response import HTTPResponse

MAX_BODY_BYTES = 16 * 1024


class ApiError(Exception):
    """A request refused, with the HTTP status, what is wrong, and any extra fields."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def error_response(status: int, message: str, **extra: Any) -> HTTPResponse:
    return json_response({"error": message, **extra}, status=status)


def json_response(data: Any, status: int = 200) -> HTTPResponse:
    return response.json(data, status=status, headers={"Cache-Control": "no-store"})


def parse_json_body(body: bytes, limit: int = MAX_BODY_BYTES, expected: str = "a JSON object") -> Any:
    """The JSON value of a request body, or ApiError saying why not."""
    if len(body) > limit:
        raise ApiError(413, f"the request body is {len(body)} bytes; the limit is {limit}")
    if not body.strip():
        raise ApiError(400, f"the request body is empty: send {expected}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ApiError(400, f"the request body is not valid UTF-8 (byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ApiError(
            400, f"the request body is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    except RecursionError:
        raise ApiError(400, "the request body is not valid JSON: nested too deeply") from None


def json_object(body: bytes, limit: int = MAX_BODY_BYTES) -> Dict[str, Any]:
    """A body that must be a JSON object; an empty body is an empty object."""
    if not body.strip():
        return {}
    value = parse_json_body(body, limit)
    if not isinstance(value, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return value
