"""Client ratings over the channels: "Did this help?" after an answer or a resolution.

The server marks each message a client may rate with ``"rate": {"step":
"<step>.<signature>"}``: the last message of a script or help link
(``answer:<ms>``), and the message telling the client an agent resolved the
chat (``resolution:<hand-over id>``). The signature binds the step to the
conversation (HMAC with the server's secret key), so a client rates only
steps of its own conversation, and only with its signed conversation token:

- REST: ``POST /webhooks/rest/rating`` with ``{"sender": <token>, "step": ...,
  "helpful": true|false, "comment": "..."}`` (201 with the stored rating);
  the answers of ``/webhooks/rest/webhook`` carry the marks.
- socket.io: ``client_rating`` with ``{"session_id": <token>, "step": ...,
  "helpful": ..., "comment": ...}``; ``rating_saved`` answers (or
  ``message_rejected`` with the 4xx and what is wrong). Marks come in the
  marked shape only (``channels/shapes.py``).

Rating a step again changes its rating. Nothing is written for a refused one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import time
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.identity import ConversationIds
from insights.ratings import RatingRefused, Ratings, checked_answer
from settings.channels import secret_key
from toolkit import names
from web.http import ApiError, error_response, json_response, parse_json_body

RATE_MARK = "rate"
ANSWER_RESPONSES = frozenset({names.UTTER_TOOLKIT_SCRIPT, names.UTTER_PAUSE_LINK})
RATING_EVENT = "client_rating"
SAVED_EVENT = "rating_saved"
_STEP = re.compile(r"^((?:answer|resolution):[0-9]{1,20})\.([A-Za-z0-9_-]{22})$")
NOT_A_STEP = "'step' is not a step this server offered in this conversation: rate a message marked with 'rate'"

_ratings: Optional[Ratings] = None


def store() -> Ratings:
    global _ratings
    if _ratings is None:
        _ratings = Ratings()
    return _ratings


def use_store(ratings: Ratings) -> None:
    global _ratings
    _ratings = ratings


def _signature(conversation_id: str, step: str) -> str:
    key = (secret_key() or "").encode("utf-8")
    digest = hmac.new(key, f"rating:{conversation_id}:{step}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def mark(conversation_id: str, step: str) -> Dict[str, Any]:
    """The mark that lets the client rate ``step`` of its conversation."""
    return {RATE_MARK: {"step": f"{step}.{_signature(conversation_id, step)}"}}


def answer_mark(conversation_id: str) -> Dict[str, Any]:
    return mark(conversation_id, f"answer:{int(time.time() * 1000)}")


def resolution_mark(conversation_id: str, handover_id: Optional[int]) -> Dict[str, Any]:
    return mark(conversation_id, f"resolution:{handover_id}") if handover_id is not None else {}


def verified_step(conversation_id: str, token: Any) -> Optional[str]:
    match = _STEP.match(token) if isinstance(token, str) else None
    if match is None or not hmac.compare_digest(match.group(2), _signature(conversation_id, match.group(1))):
        return None
    return match.group(1)


def is_answer(kwargs: Dict[str, Any]) -> bool:
    return kwargs.get("utter_action") in ANSWER_RESPONSES


class RatingCollector(CollectingOutputChannel):
    """Rasa's collecting output (REST), with the answer's last message marked for a rating."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await super().send_text_message(recipient_id, text, **kwargs)
        if is_answer(kwargs) and self.messages:
            self.messages[-1].update(answer_mark(recipient_id))


async def take(
    ids: ConversationIds, body: Any, token_key: str, conversation_id: Optional[str] = None
) -> Dict[str, Any]:
    """Check and store one rating; the stored rating, or ApiError (nothing written)."""
    if not isinstance(body, dict):
        raise ApiError(400, f"a rating is a JSON object with '{token_key}', 'step' and 'helpful'")
    verified = ids.verify(body.get(token_key))
    if verified is None:
        raise ApiError(403, f"'{token_key}' is not a conversation token this server issued")
    if conversation_id is not None and verified != conversation_id:
        raise ApiError(403, f"'{token_key}' is not the conversation this connection was given")
    step = verified_step(verified, body.get("step"))
    if step is None:
        raise ApiError(403, NOT_A_STEP)
    try:
        helpful, comment = checked_answer(body)
        rating = await asyncio.to_thread(store().rate, verified, step, helpful, comment)
    except RatingRefused as e:
        raise ApiError(e.status, str(e)) from None
    return rating.to_dict()


def add_rest_route(bp: Blueprint, ids: ConversationIds) -> None:
    @bp.route("/rating", methods=["POST"])
    async def rate(request: Request) -> HTTPResponse:
        try:
            body = parse_json_body(request.body or b"", expected="a JSON object with 'sender', 'step' and 'helpful'")
            return json_response({"rating": await take(ids, body, "sender")}, status=201)
        except ApiError as e:
            return error_response(e.status, e.message)


def add_socket_handler(
    sio: Any, namespace: Optional[str], ids: ConversationIds, reject: Callable[..., Awaitable[None]]
) -> None:
    @sio.on(RATING_EVENT, namespace=namespace)
    async def client_rating(sid: str, data: Any) -> None:
        conversation_id = (await sio.get_session(sid, namespace=namespace)).get("conversation_id")
        if conversation_id is None:
            await reject(sid, 400, "no conversation yet: send session_request first")
            return
        try:
            rating = await take(ids, data, "session_id", conversation_id)
        except ApiError as e:
            await reject(sid, e.status, e.message)
            return
        await sio.emit(SAVED_EVENT, rating, room=sid, namespace=namespace)
