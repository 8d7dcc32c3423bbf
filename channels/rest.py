"""The REST channel clients use, with issued conversation ids and input checks.

Replaces Rasa's ``rest`` channel at the same URLs (``/webhooks/rest/...``):

- ``POST /webhooks/rest/conversations`` issues a conversation token
  (``{"conversation_id": "<id>.<signature>"}``), the only way to get one;
- ``POST /webhooks/rest/webhook`` takes ``{"sender": <token>, "message": ...}``.
  A token this server did not issue is refused (403); malformed bodies get a
  400/413 that says what is wrong; the database being down is a 503 with an
  incident id (``channels/delivery.py``);
- ``POST /webhooks/rest/rating``: a client's "Did this help?" (``channels/ratings.py``);
- ``POST /webhooks/rest/end`` takes ``{"sender": <token>}``: the client ended
  the chat; the conversation's open hand-over, if any, ends (``client_left``,
  through ``channels/live.py``'s end listeners, the agent desk's); answers
  ``{"ended": true, "handover_ended": true|false}``. A token this server did
  not issue is refused (403), a body without one is a 400;
- ``GET /webhooks/rest/updates``: the bot's and agents' messages added to a
  conversation since a cursor, waiting for the next (``channels/longpoll.py``),
  so a REST-only client gets an agent's replies too.

Rasa sees the plain conversation id only (see ``channels.identity``).
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels import live, longpoll, ratings
from channels.delivery import deliver
from channels.identity import ConversationIds
from channels.validation import client_message
from web import guard
from web.http import ApiError, error_response, parse_json_body

logger = logging.getLogger(__name__)

UNKNOWN_CONVERSATION = (
    "'sender' is not a conversation id this server issued: get one from POST /webhooks/rest/conversations"
)
EXPECTED_BODY = "a JSON object with 'sender' and 'message'"
END_BODY = 'a JSON object with \'sender\', your conversation token: {"sender": "<token>"}'
NO_SENDER = '\'sender\' is missing: send {"sender": "<your conversation token>"} to end that chat'
END_FAILED = "the chat could not be ended on the server (the server log has the details); try again"


class SignedRestInput(InputChannel):
    """REST for clients: server-issued, signed conversation ids; checked input."""

    def __init__(self, ids: Optional[ConversationIds] = None) -> None:
        self.ids = ids or ConversationIds.from_env()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict]) -> InputChannel:
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
                body = parse_json_body(request.body or b"", expected=EXPECTED_BODY)
                incoming = client_message(body, "sender")
            except ApiError as e:
                return error_response(e.status, e.message)
            conversation_id = self.ids.verify(incoming.token)
            if conversation_id is None:
                return error_response(403, UNKNOWN_CONVERSATION)
            collector = ratings.RatingCollector()  # answers marked for a rating
            message = UserMessage(
                incoming.text,
                collector,
                conversation_id,
                input_channel=self.name(),
                metadata=incoming.metadata,
            )
            refused = await deliver(on_new_message, message)
            if refused is not None:
                return error_response(refused.status, refused.message, **refused.extra)
            return response.json(collector.messages)

        @bp.route("/end", methods=["POST"])
        async def end_chat(request: Request) -> HTTPResponse:
            try:
                body = parse_json_body(request.body or b"", expected=END_BODY)
            except ApiError as e:
                return error_response(e.status, e.message)
            if not isinstance(body, dict):
                return error_response(400, f"the request body must be {END_BODY}")
            token = body.get("sender")
            if token is None or token == "":
                return error_response(400, NO_SENDER)
            conversation_id = self.ids.verify(token)
            if conversation_id is None:
                return error_response(403, UNKNOWN_CONVERSATION)
            try:
                handover_ended = await live.ended(conversation_id)
            except Exception:  # noqa: BLE001 - logged by channels/live.py; the client hears it failed
                return error_response(500, END_FAILED)
            return response.json({"ended": True, "handover_ended": handover_ended})

        ratings.add_rest_route(bp, self.ids)  # POST /webhooks/rest/rating
        longpoll.add_route(bp, self.ids)  # GET /webhooks/rest/updates
        return bp
