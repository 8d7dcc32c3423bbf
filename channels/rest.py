"""The REST channel clients use, with issued conversation ids and input checks.

Replaces Rasa's ``rest`` channel at the same URLs (``/webhooks/rest/...``):

- ``POST /webhooks/rest/conversations`` issues a conversation token
  (``{"conversation_id": "<id>.<signature>"}``), the only way to get one;
- ``POST /webhooks/rest/webhook`` takes ``{"sender": <token>, "message": ...}``.
  A token this server did not issue is refused (403); malformed bodies get a
  400/413 that says what is wrong; the database being down is a 503.

Rasa sees the plain conversation id only (see ``channels.identity``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import guard
from channels.identity import ConversationIds
from channels.resilience import install_action_fallback, is_outage, make_store_strict
from channels.validation import InvalidRequest, client_message, parse_json_body

logger = logging.getLogger(__name__)

UNKNOWN_CONVERSATION = (
    "'sender' is not a conversation id this server issued: get one from POST /webhooks/rest/conversations"
)
STORE_DOWN = "the conversation store is unavailable; nothing was lost, please try again shortly"


def error(status: int, message: str, **extra: Any) -> HTTPResponse:
    return response.json({"error": message, **extra}, status=status)


async def deliver(request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage):
    """Hand ``message`` to Rasa; None when it went through, else the error response."""
    make_store_strict(getattr(request.app.ctx, "agent", None))
    try:
        await on_new_message(message)
    except asyncio.CancelledError:
        raise
    except Exception as e:  # noqa: BLE001 - every failure becomes a logged, clear answer
        incident = uuid.uuid4().hex[:12]
        if is_outage(e):
            logger.error("incident %s: a backing service is down (%s)", incident, type(e).__name__)
            return error(503, STORE_DOWN, incident=incident)
        logger.exception("incident %s: handling a client message failed", incident)
        return error(500, "the assistant failed to handle this message", incident=incident)
    return None


class SignedRestInput(InputChannel):
    """REST for clients: server-issued, signed conversation ids; checked input."""

    def __init__(self, ids: Optional[ConversationIds] = None) -> None:
        self.ids = ids or ConversationIds.from_env()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> InputChannel:
        install_action_fallback()
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("signed_rest", __name__)
        guard.attach(bp)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/conversations", methods=["POST"])
        async def new_conversation(request: Request) -> HTTPResponse:
            token = self.ids.issue()
            return response.json({"conversation_id": token}, status=201)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                incoming = client_message(parse_json_body(request.body or b""), "sender")
            except InvalidRequest as e:
                return error(e.status, e.message)
            conversation_id = self.ids.verify(incoming.token)
            if conversation_id is None:
                return error(403, UNKNOWN_CONVERSATION)
            collector = CollectingOutputChannel()
            message = UserMessage(
                incoming.text,
                collector,
                conversation_id,
                input_channel=self.name(),
                metadata=incoming.metadata,
            )
            failed = await deliver(request, on_new_message, message)
            return failed or response.json(collector.messages)

        return bp
