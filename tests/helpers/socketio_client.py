"""The socket.io client every test that speaks socket.io uses: the widget's chat, as a test drives it."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, Optional, Tuple

from tests.helpers.conversations import plain_id


class ChatClient:
    """A chat over socket.io, as the widget holds it.

    ``async with ChatClient(url) as client`` connects and asks for a session (the token the
    server confirms is ``client.token``), with the widget's ``marks`` unless ``marks=False``
    (then messages come in Rasa's own shape, as any Rasa web client gets them); ``connect``
    and ``request_session`` do the two steps apart, for a test that writes before it has a
    session. What arrives is queued:
    ``replies`` (bot_uttered), ``rejections`` (message_rejected) and ``events`` (both, as
    ("bot", data) or ("rejected", data), in the order they came).
    """

    def __init__(self, url: str, timeout: float = 20.0, confirm_timeout: float = 15.0, marks: bool = True) -> None:
        import socketio

        self.url = url
        self.marks = marks
        self.timeout = timeout  # for a reply or an event
        self.confirm_timeout = confirm_timeout  # for session_confirm
        self.token: Optional[str] = None  # issued by the server in session_confirm
        self.replies: asyncio.Queue = asyncio.Queue()
        self.rejections: asyncio.Queue = asyncio.Queue()
        self.events: asyncio.Queue = asyncio.Queue()
        self._confirmed: asyncio.Queue = asyncio.Queue()
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("bot_uttered", self._on_bot_uttered)
        self.client.on("message_rejected", self._on_message_rejected)
        self.client.on("session_confirm", self._confirmed.put_nowait)

    def _on_bot_uttered(self, data: Dict[str, Any]) -> None:
        self.replies.put_nowait(data)
        self.events.put_nowait(("bot", data))

    def _on_message_rejected(self, data: Dict[str, Any]) -> None:
        self.rejections.put_nowait(data)
        self.events.put_nowait(("rejected", data))

    @property
    def session_id(self) -> str:
        """The plain conversation id (the hand-over's), inside the signed token."""
        return plain_id(self.token)

    async def connect(self) -> None:
        await self.client.connect(self.url, transports=["websocket"], socketio_path="/socket.io")

    async def request_session(self, payload: Any = None) -> str:
        """Sends session_request (``{"marks": <marks>}`` unless told) and waits for the token the server confirms."""
        await self.client.emit("session_request", {"marks": self.marks} if payload is None else payload)
        self.token = await asyncio.wait_for(self._confirmed.get(), self.confirm_timeout)
        return self.token

    async def open(self, payload: Any = None) -> ChatClient:
        await self.connect()
        await self.request_session(payload)
        return self

    async def close(self) -> None:
        await self.client.disconnect()

    async def __aenter__(self) -> ChatClient:
        return await self.open()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def emit(self, event: str, data: Any) -> None:
        """Sends anything, well-formed or not."""
        await self.client.emit(event, data)

    async def say(self, text: str, session_id: Optional[str] = None) -> None:
        """Sends user_uttered with ``text``, in this chat's session unless told another."""
        await self.client.emit("user_uttered", {"message": text, "session_id": session_id or self.token})

    async def next(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """The next bot_uttered."""
        return await asyncio.wait_for(self.replies.get(), timeout or self.timeout)

    async def until(self, predicate: Callable[[Dict[str, Any]], bool], timeout: Optional[float] = None):
        """The first bot_uttered from now that ``predicate`` accepts (each waited for at most ``timeout``)."""
        while True:
            message = await self.next(timeout)
            if predicate(message):
                return message

    async def next_event(self, timeout: Optional[float] = None) -> Tuple[str, Dict[str, Any]]:
        """The next bot_uttered or message_rejected, as ("bot", data) or ("rejected", data)."""
        return await asyncio.wait_for(self.events.get(), timeout or self.timeout)
