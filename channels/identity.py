"""Conversation ids the server issues and signs, so a client cannot pick one.

A client gets ``<id>.<signature>`` (its *conversation token*) from the server:
over REST from ``POST /webhooks/rest/conversations``, over socket.io in
``session_confirm``. It sends the token back with every message; the channel
checks the signature (HMAC-SHA256 with the server's secret key) and passes only
the plain ``<id>`` to Rasa, so the tracker id, the hand-over's conversation id
and the socket.io room stay the plain id.

The key comes from ``ASSISTANT_SECRET_KEY`` (the launcher makes one in the
state directory when it is unset); every replica must share it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from typing import Optional

from settings.channels import secret_key
from settings.variables import SECRET_KEY

MIN_KEY_LENGTH = 32
_ID = re.compile(r"^[0-9a-f]{32}$")
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$")


class SecretKeyError(RuntimeError):
    """The secret key is missing or too short."""


class ConversationIds:
    """Issues and verifies signed conversation tokens."""

    def __init__(self, key: str) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise SecretKeyError(f"{SECRET_KEY} must be at least {MIN_KEY_LENGTH} characters long")
        self._key = key.encode("utf-8")

    @classmethod
    def from_env(cls) -> ConversationIds:
        key = secret_key() or ""
        if not key:
            raise SecretKeyError(
                f"{SECRET_KEY} is not set: the channels sign conversation ids with it "
                "(the launcher sets it; every replica needs the same value)"
            )
        return cls(key)

    def _signature(self, conversation_id: str) -> str:
        digest = hmac.new(self._key, b"conversation:" + conversation_id.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def issue(self) -> str:
        """A new conversation token."""
        return self.token_for(uuid.uuid4().hex)

    def token_for(self, conversation_id: str) -> str:
        if not _ID.match(conversation_id):
            raise ValueError("a conversation id is 32 lower-case hex digits")
        return f"{conversation_id}.{self._signature(conversation_id)}"

    def verify(self, token: object) -> Optional[str]:
        """The plain conversation id of a token this server issued, else None."""
        if not isinstance(token, str):
            return None
        match = _TOKEN.match(token)
        if match is None:
            return None
        conversation_id, signature = match.groups()
        if not hmac.compare_digest(signature, self._signature(conversation_id)):
            return None
        return conversation_id
