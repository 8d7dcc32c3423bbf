"""What a client may send: checked before anything reaches Rasa.

Every rule gives the client a 4xx that says what is wrong (``web.http.ApiError``;
the body itself is parsed by ``web.http.parse_json_body``). A message that is
acceptable is cleaned first: control characters (other than line breaks and
tabs) are dropped, the text is put in Unicode NFC form and trimmed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, Optional

from web.http import ApiError

MAX_MESSAGE_CHARS = 2000  # the widget's input allows the same
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
# What web clients send when a chat starts (rasa-webchat's ``initPayload``, Rasa's own
# ``/session_start``): each is read as the greeting, never as words the assistant did not
# understand (which would count as the first unclear message), and never as an intent
# the client chose.
START_PAYLOADS = frozenset({"/get_started", "/greet", "/session_start", "/start"})
GREETING_PAYLOAD = "/greet"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass
class ClientMessage:
    token: Any
    text: str
    metadata: Optional[Dict[str, Any]]


def clean_text(value: Any, field: str = "message") -> str:
    """The message as Rasa should see it; ApiError for anything else."""
    if value is None:
        raise ApiError(400, f"'{field}' is missing")
    if not isinstance(value, str):
        raise ApiError(400, f"'{field}' must be a string, not {_json_type(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"'{field}' is not valid Unicode text (it holds a lone surrogate)") from None
    if len(value) > MAX_MESSAGE_CHARS * 4:
        raise ApiError(413, f"'{field}' is {len(value)} characters long; the limit is {MAX_MESSAGE_CHARS}")
    text = unicodedata.normalize("NFC", _CONTROL.sub("", value)).strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise ApiError(413, f"'{field}' is {len(text)} characters long; the limit is {MAX_MESSAGE_CHARS}")
    if text.lower() in START_PAYLOADS:
        return GREETING_PAYLOAD
    if text.startswith("/") and text not in CHOICE_PAYLOADS:
        text = text.lstrip("/").strip()
    if not text:
        raise ApiError(400, f"'{field}' is empty")
    return text


def client_message(data: Any, token_field: str) -> ClientMessage:
    """Token, cleaned text and metadata of one message from a client."""
    if not isinstance(data, dict):
        raise ApiError(
            400, f"the message must be a JSON object with '{token_field}' and 'message', not {_json_type(data)}"
        )
    token = data.get(token_field)
    if token is None:
        raise ApiError(400, f"'{token_field}' is missing: use the conversation id the server issued")
    if not isinstance(token, str):
        raise ApiError(400, f"'{token_field}' must be a string, not {_json_type(token)}")
    text = clean_text(data.get("message"))
    metadata = data.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise ApiError(400, f"'metadata' must be a JSON object, not {_json_type(metadata)}")
        try:
            size = len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
        except (UnicodeEncodeError, ValueError):
            raise ApiError(400, "'metadata' is not valid Unicode JSON") from None
        if size > MAX_METADATA_BYTES:
            raise ApiError(413, f"'metadata' is {size} bytes; the limit is {MAX_METADATA_BYTES}")
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
