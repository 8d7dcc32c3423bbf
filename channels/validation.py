"""What a client may send: checked before anything reaches Rasa.

Every rule gives the client a 4xx that says what is wrong. A message that is
acceptable is cleaned first: control characters (other than line breaks and
tabs) are dropped, the text is put in Unicode NFC form and trimmed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Optional

MAX_MESSAGE_CHARS = 2000  # the widget's input allows the same
MAX_BODY_BYTES = 16 * 1024
MAX_METADATA_BYTES = 4 * 1024

# Button payloads the assistant itself offers (``/intent``); any other text that
# starts with "/" would let a client force intents and entities, so its slashes
# are dropped and it is understood as words.
CHOICE_PAYLOADS = frozenset(
    {
        "/affirm",
        "/deny",
        "/request_human",
        "/report_freelancer_concern",
        "/ask_what_if",
        "/ask_how_to_pause",
        "/out_of_scope",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class InvalidRequest(Exception):
    """A request the channel refuses, with the HTTP status and what is wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ClientMessage:
    token: Any
    text: str
    metadata: Optional[Dict[str, Any]]


def parse_json_body(body: bytes) -> Any:
    """The JSON value of a request body, or InvalidRequest saying why not."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest(413, f"the request body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    if not body.strip():
        raise InvalidRequest(400, "the request body is empty: send a JSON object with 'sender' and 'message'")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidRequest(400, f"the request body is not valid UTF-8 (byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidRequest(
            400, f"the request body is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"
        ) from None
    except RecursionError:
        raise InvalidRequest(400, "the request body is not valid JSON: nested too deeply") from None


def clean_text(value: Any, field: str = "message") -> str:
    """The message as Rasa should see it; InvalidRequest for anything else."""
    if value is None:
        raise InvalidRequest(400, f"'{field}' is missing")
    if not isinstance(value, str):
        raise InvalidRequest(400, f"'{field}' must be a string, not {_json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(400, f"'{field}' is not valid Unicode text (it holds a lone surrogate)") from None
    if len(value) > MAX_MESSAGE_CHARS * 4:
        raise InvalidRequest(413, f"'{field}' is {len(value)} characters long; the limit is {MAX_MESSAGE_CHARS}")
    text = unicodedata.normalize("NFC", _CONTROL.sub("", value)).strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidRequest(413, f"'{field}' is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}")
    if text.startswith("/") and text not in CHOICE_PAYLOADS:
        text = text.lstrip("/").strip()
    if not text:
        raise InvalidRequest(400, f"'{field}' is empty")
    return text


def client_message(data: Any, token_field: str) -> ClientMessage:
    """Token, cleaned text and metadata of one message from a client."""
    if not isinstance(data, dict):
        raise InvalidRequest(
            400, f"the message must be a JSON object with '{token_field}' and 'message', not {_json_type(data)}"
        )
    token = data.get(token_field)
    if token is None:
        raise InvalidRequest(400, f"'{token_field}' is missing: use the conversation id the server issued")
    if not isinstance(token, str):
        raise InvalidRequest(400, f"'{token_field}' must be a string, not {_json_type(token)}")
    text = clean_text(data.get("message"))
    metadata = data.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InvalidRequest(400, f"'metadata' must be a JSON object, not {_json_type(metadata)}")
        try:
            size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
        except (UnicodeEncodeError, ValueError):
            raise InvalidRequest(400, "'metadata' is not valid Unicode JSON") from None
        if size > MAX_METADATA_BYTES:
            raise InvalidRequest(413, f"'metadata' is {size} bytes; the limit is {MAX_METADATA_BYTES}")
    return ClientMessage(token=token, text=text, metadata=metadata)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
