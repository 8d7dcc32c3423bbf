"""The chat widget's side of the Rasa server.

- ``WebChatInput``: Rasa's socket.io channel, with every bot message passing
  ``web.links.safe_text`` on its way out (only http, https and mailto links
  survive), in Rasa's own shape for any Rasa web client and in the marked
  shape (the hand-over message marked, so the page can show the hand-over
  state) for clients that ask for it (``channels/shapes.py``). Browsers on
  other origins: only the exact origins of ``ASSISTANT_CORS_ORIGINS`` and the
  server's own may open a socket (long-polling or WebSocket); the CORS headers
  themselves come from Rasa's ``--cors`` alone, one of each on every response.
- ``ChatPageInput``: serves the widget (``widget/``) and its one browser
  dependency under ``/chat/`` on the same server and port, with a
  Content-Security-Policy that forbids inline script.

Both are configured in ``credentials.yml``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels import live, ratings
from channels.delivery import deliver
from channels.identity import ConversationIds
from channels.shapes import emit_to_conversation, room_of, wants_marks
from channels.validation import client_message
from settings.channels import ChannelSettings
from toolkit.names import HANDOVER_RESPONSES
from web import guard
from web.files import add_static_route
from web.headers import page_headers
from web.http import ApiError, error_response

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
WIDGET_DIR = ROOT / "widget"
STATIC_FILES = {
    "widget.js": (WIDGET_DIR / "widget.js", "text/javascript; charset=utf-8"),
    # the widget's parts, by concern (widget.js loads any a page did not)
    "widget-live.js": (WIDGET_DIR / "widget-live.js", "text/javascript; charset=utf-8"),
    "widget-rating.js": (WIDGET_DIR / "widget-rating.js", "text/javascript; charset=utf-8"),
    "widget-session.js": (WIDGET_DIR / "widget-session.js", "text/javascript; charset=utf-8"),
    "widget.css": (WIDGET_DIR / "widget.css", "text/css; charset=utf-8"),
    # the one renderer of text with safe links, shared with the agent desk
    "safe-links.js": (ROOT / "web" / "static" / "safe-links.js", "text/javascript; charset=utf-8"),
    "socket.io.min.js": (
        WIDGET_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
        "text/javascript; charset=utf-8",
    ),
}
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


class SafeSocketIOOutput(SocketIOOutput):
    """socket.io output that never sends an unsafe link and marks the hand-over.

    Rasa addresses each message to the conversation (its sender id); it goes to
    the conversation's two rooms, one per shape (``channels/shapes.py``).
    """

    async def _send_message(self, socket_id: str, response_: Any) -> None:
        await emit_to_conversation(self.sio, self.bot_message_evt, socket_id, response_)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        parts = text.strip().split("\n\n")
        for index, part in enumerate(parts):
            message: Dict[str, Any] = {"text": part}
            if index == len(parts) - 1 and kwargs.get("utter_action") in HANDOVER_RESPONSES:
                message["handover"] = True
            if index == len(parts) - 1 and ratings.is_answer(kwargs):
                message.update(ratings.answer_mark(recipient_id))  # "Did this help?" (channels/ratings.py)
            await self._send_message(recipient_id, message)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        # Rasa's own version passes the payload as emit() keyword arguments; send it as the
        # message data, to the client's room. It has no "text", so no link filtering
        # applies: the widget renders no custom payloads.
        await self._send_message(recipient_id, {"custom": json_message})


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel, with signed conversation ids and checked input.

    ``session_request`` with a token this server issued resumes that
    conversation; with none (or a forged one) a new conversation is issued. The
    token comes back in ``session_confirm``. The socket joins the room of the
    plain conversation id, which is also Rasa's sender id, and may then send
    ``user_uttered`` for that conversation only. A message that is refused gets
    a ``message_rejected`` event: ``{"status": 4xx, "error": "what is wrong"}``.

    ``end_chat`` (``{"session_id": <token>}``, the connection's own conversation)
    ends the chat on the server: its open hand-over, if any, ends
    (``channels/live.py``'s end listeners). Its acknowledgement, and the event
    ``chat_ended``, is ``{"ended": true, "handover_ended": true|false}``; a refused
    one gets ``message_rejected`` and the same in its acknowledgement.
    """

    rejected_evt = "message_rejected"

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()
        return SafeSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        ids = ConversationIds.from_env()
        settings = ChannelSettings.from_env()
        # No CORS handling of socket.io's own (as in Rasa's channel): Rasa's --cors already puts
        # the headers on every response, and two sets make browsers refuse them all. Which
        # origins may connect is checked below, for long-polling and WebSocket alike.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], **message_queue(settings))
        bp = SocketBlueprint(sio, self.socketio_path, "webchat_socketio", __name__)
        guard.attach(bp)
        self.sio = sio
        socket_path = "/" + self.socketio_path.strip("/")

        async def refuse_other_origins(request: Request) -> Optional[HTTPResponse]:
            if request.path.rstrip("/") != socket_path:
                return None
            origin = request.headers.get("origin")
            if origin_allowed(settings.cors_origins, origin, request_environ(request)):
                return None
            logger.info("refused a socket.io connection from an origin not allowed: %r", origin)
            return error_response(400, NOT_ALLOWED_ORIGIN)

        @bp.listener("before_server_start")
        async def install_origin_check(app: Any, _loop: Any) -> None:
            app.register_middleware(refuse_other_origins, "request")

        live.register(sio, self.bot_message_evt)  # for agents' replies (channels/live.py)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def reject(sid: str, status: int, message: str, **extra: Any) -> None:
            await sio.emit(self.rejected_evt, {"status": status, "error": message, **extra}, room=sid)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            offered = data.get("session_id") if isinstance(data, dict) else None
            conversation_id = ids.verify(offered)
            resumed = conversation_id is not None  # a reload or a reconnection, not a new chat
            token = offered if conversation_id else ids.issue()
            conversation_id = conversation_id or ids.verify(token)
            if conversation_id is None:  # a token just issued always verifies
                raise RuntimeError("a conversation id this server issued did not verify")
            # one room per conversation and shape: Rasa's shape unless the client asks for marks
            room = room_of(conversation_id, wants_marks(data))
            previous = (await sio.get_session(sid, namespace=self.namespace)).get("room")
            if previous and previous != room:
                sio.leave_room(sid, previous, namespace=self.namespace)
            await sio.save_session(sid, {"conversation_id": conversation_id, "room": room}, namespace=self.namespace)
            sio.enter_room(sid, room, namespace=self.namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)
            if resumed:
                await live.resumed(conversation_id)  # e.g. a waiting client's place in the queue again

        ratings.add_socket_handler(sio, self.namespace, ids, reject)

        @sio.on("end_chat", namespace=self.namespace)
        async def end_chat(sid: str, data: Any = None) -> Dict[str, Any]:
            conversation_id = (await sio.get_session(sid, namespace=self.namespace)).get("conversation_id")
            token = data.get("session_id") if isinstance(data, dict) else None
            status, why = 0, ""
            if conversation_id is None:
                status, why = 400, "no conversation yet: send session_request first"
            elif not token:
                status, why = 400, "'end_chat' takes {\"session_id\": <your conversation token>}"
            elif ids.verify(token) != conversation_id:
                status, why = 403, "'session_id' is not the conversation this connection was given"
            if status:
                await reject(sid, status, why)
                return {"status": status, "error": why}
            try:
                handover_ended = await live.ended(conversation_id)
            except Exception:  # noqa: BLE001 - logged by channels/live.py; the client hears it failed
                why = "the chat could not be ended on the server (the server log has the details); try again"
                await reject(sid, 500, why)
                return {"status": 500, "error": why}
            answer = {"ended": True, "handover_ended": handover_ended}
            await sio.emit("chat_ended", answer, room=sid, namespace=self.namespace)
            return answer

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            conversation_id = (await sio.get_session(sid, namespace=self.namespace)).get("conversation_id")
            if conversation_id is None:
                await reject(sid, 400, "no conversation yet: send session_request first")
                return
            try:
                incoming = client_message(data, "session_id")
            except ApiError as e:
                await reject(sid, e.status, e.message)
                return
            if ids.verify(incoming.token) != conversation_id:
                await reject(sid, 403, "'session_id' is not the conversation this connection was given")
                return
            message = UserMessage(
                incoming.text,
                SafeSocketIOOutput(sio, self.bot_message_evt),
                conversation_id,
                input_channel=self.name(),
                metadata=incoming.metadata,
            )
            refused = await deliver(on_new_message, message)
            if refused is not None:
                await reject(sid, refused.status, refused.message, **refused.extra)

        return bp


def message_queue(settings: ChannelSettings) -> Dict[str, Any]:
    """Several Rasa replicas: emits (an agent's reply, a push to agent pages) reach sockets on any replica.

    With ``SOCKETIO_MESSAGE_QUEUE`` (a Redis URL; the launcher sets it from
    ``LOCK_STORE_URL``), every emit goes through Redis pub/sub, so a message
    sent from one replica reaches the sockets connected to the others. The
    messages are JSON (``channels/scaleout.py``): python-socketio's own Redis
    manager pickles them, ours never writes or loads a pickle.
    """
    if not settings.socketio_queue:
        return {}
    from channels.scaleout import JsonRedisManager

    return {"client_manager": JsonRedisManager(settings.socketio_queue, channel=settings.socketio_channel)}


NOT_ALLOWED_ORIGIN = "this origin may not open a chat socket: list the page's exact origin in ASSISTANT_CORS_ORIGINS"


def request_environ(request: Request) -> Dict[str, Any]:
    """What ``origin_allowed`` reads of a request, named as in a WSGI environ."""
    headers = request.headers
    # Sanic calls a WebSocket upgrade's scheme ws/wss; the page's origin says http/https
    scheme = {"ws": "http", "wss": "https"}.get(request.scheme, request.scheme)
    environ = {"wsgi.url_scheme": scheme, "HTTP_HOST": headers.get("host")}
    for name in ("x-forwarded-host", "x-forwarded-proto"):
        if headers.get(name):
            environ["HTTP_" + name.upper().replace("-", "_")] = headers.get(name)
    return environ


def origin_allowed(origins: List[str], origin: Optional[str], environ: Dict[str, Any]) -> bool:
    """socket.io: the server's own origin and the configured exact origins only."""
    if not origin:
        return True
    if origin.lower() in origins:
        return True
    host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST") or ""
    scheme = (environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme") or "http").split(",")[0]
    return bool(host) and origin == f"{scheme.strip()}://{host.split(',')[0].strip()}"


class ChatPageInput(InputChannel):
    """Serves the chat page at /chat/ (no messages come in through here)."""

    @classmethod
    def name(cls) -> str:
        return "chat"

    def url_prefix(self) -> str:
        return "/chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("chat_page", __name__)

        @page.route("/", methods=["GET"])
        async def chat_page(request: Request) -> HTTPResponse:
            body = (WIDGET_DIR / "chat.html").read_text(encoding="utf-8")
            return response.html(body, headers=page_headers(PAGE_CSP))

        add_static_route(page, "/static", STATIC_FILES, embeddable=True)  # other sites embed the widget

        guard.attach(page)
        return page
