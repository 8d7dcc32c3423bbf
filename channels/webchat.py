"""The chat widget's side of the Rasa server.

- ``WebChatInput``: Rasa's socket.io channel, with every bot message passing
  ``safe_text`` on its way out (only http, https and mailto links survive) and
  the hand-over message marked, so the page can show the hand-over state.
- ``ChatPageInput``: serves the widget (``widget/``) and its one browser
  dependency under ``/chat/`` on the same server and port, with a
  Content-Security-Policy that forbids inline script.

Both are configured in ``credentials.yml``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.constants import UTTER_HANDOVER
from channels import live

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
WIDGET_DIR = ROOT / "widget"
STATIC_FILES = {
    "widget.js": (WIDGET_DIR / "widget.js", "text/javascript; charset=utf-8"),
    "widget.css": (WIDGET_DIR / "widget.css", "text/css; charset=utf-8"),
    "socket.io.min.js": (
        WIDGET_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
        "text/javascript; charset=utf-8",
    ),
}
SAFE_SCHEMES = ("http", "https", "mailto")
# [label](target); the target may hold one level of balanced parentheses.
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)")


def safe_text(text: Optional[str]) -> Optional[str]:
    """Markdown links to anything but http(s) or mailto become their plain label."""
    if not text:
        return text

    def keep_or_strip(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        scheme = target.split(":", 1)[0].lower() if ":" in target else ""
        if scheme in SAFE_SCHEMES and (scheme == "mailto" or target.lower().startswith(f"{scheme}://")):
            return match.group(0)
        logger.warning("dropped a link with an unsafe target from a bot message")
        return label

    return _MARKDOWN_LINK.sub(keep_or_strip, text)


def security_headers(csp: str) -> Dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


class SafeSocketIOOutput(SocketIOOutput):
    """socket.io output that never sends an unsafe link and marks the hand-over."""

    async def _send_message(self, socket_id: str, response_: Any) -> None:
        if isinstance(response_, dict) and "text" in response_:
            response_ = {**response_, "text": safe_text(response_["text"])}
        await super()._send_message(socket_id, response_)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        parts = text.strip().split("\n\n")
        for index, part in enumerate(parts):
            message: Dict[str, Any] = {"text": part}
            if index == len(parts) - 1 and kwargs.get("utter_action") == UTTER_HANDOVER:
                message["handover"] = True
            await self._send_message(recipient_id, message)

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        # Rasa's own version passes the payload as emit() keyword arguments; send it as the
        # message data, to the client's room. It has no "text", so no link filtering
        # applies: the widget renders no custom payloads.
        await self._send_message(recipient_id, {"custom": json_message})


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel with ``SafeSocketIOOutput`` for every reply."""

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()
        return SafeSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_safe_output(message: UserMessage) -> None:
            message.output_channel = SafeSocketIOOutput(self.sio, self.bot_message_evt)
            await on_new_message(message)

        blueprint = super().blueprint(with_safe_output)
        live.register(self.sio, self.bot_message_evt)  # for agents' replies (channels/live.py)
        return blueprint


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
            return response.html(body, headers=security_headers(PAGE_CSP))

        @page.route("/static/<name>", methods=["GET"])
        async def static(request: Request, name: str) -> HTTPResponse:
            entry = STATIC_FILES.get(name)
            if entry is None or not entry[0].is_file():
                return response.json({"error": f"no static file '{name}'"}, status=404)
            path, content_type = entry
            return response.raw(
                path.read_bytes(),
                content_type=content_type,
                headers=security_headers("default-src 'none'"),
            )

        return page
