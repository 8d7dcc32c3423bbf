"""Messages to a client's open chat that do not answer a client message.

The agent desk uses it to deliver an agent's reply, and the notices when a
hand-over ends or waits too long, to the widget in real time: the socket.io
channel registers its server here, and a message is emitted into the rooms of
the conversation, one per shape (``channels/shapes.py``): Rasa's shape for any
Rasa web client, the marked shape for our widget. A client not connected right
now sees the message from the conversation's history when it reconnects.

A push also wakes the long-polls waiting on the conversation on this replica
(``watch``, used by ``channels/longpoll.py``), with or without socket.io.

A chat that comes back to its conversation (a reload, a reconnection) is told
to the listeners registered with ``on_resume`` (the agent desk tells a waiting
client its place in the queue again, ``desk/live.py``). A client who ends its
chat (the widget's "End chat", ``end_chat`` over socket.io or
``POST /webhooks/rest/end``) is told to the listeners registered with
``on_end`` (the agent desk ends the conversation's open hand-over).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import contextmanager
from typing import Any, Awaitable, Callable, Dict, Iterator, Optional, Set

from channels.shapes import emit_to_conversation, room_of

logger = logging.getLogger(__name__)

_sio: Optional[Any] = None
_event = "bot_uttered"
_watchers: Dict[str, Set[asyncio.Event]] = {}
_resume_listeners: Dict[str, Callable[[str], Awaitable[None]]] = {}
_end_listeners: Dict[str, Callable[[str], Awaitable[bool]]] = {}


def register(sio: Any, bot_message_evt: str) -> None:
    global _sio, _event
    _sio, _event = sio, bot_message_evt


def on_resume(name: str, listener: Callable[[str], Awaitable[None]]) -> None:
    """Call ``listener(conversation_id)`` whenever a chat resumes a conversation (one listener a name)."""
    _resume_listeners[name] = listener


async def resumed(conversation_id: str) -> None:
    """A chat came back to ``conversation_id``: tell the listeners; one that fails is logged, never raised."""
    for name, listener in list(_resume_listeners.items()):
        try:
            await listener(conversation_id)
        except Exception:  # noqa: BLE001 - the chat works without what a listener adds
            logger.exception("the resume listener %r failed for conversation %s", name, conversation_id)


def on_end(name: str, listener: Callable[[str], Awaitable[bool]]) -> None:
    """Call ``listener(conversation_id)`` when a client ends its chat; it answers whether it ended a hand-over."""
    _end_listeners[name] = listener


async def ended(conversation_id: str) -> bool:
    """A client ended its chat of ``conversation_id``: tell the listeners; True if one ended a hand-over.

    A listener that fails is logged and raised again: the client must hear that its chat was not ended.
    """
    handover_ended = False
    for name, listener in list(_end_listeners.items()):
        try:
            handover_ended = bool(await listener(conversation_id)) or handover_ended
        except Exception:
            logger.exception("the end listener %r failed for conversation %s", name, conversation_id)
            raise
    return handover_ended


async def push(conversation_id: str, message: Dict[str, Any]) -> bool:
    """Emit ``message`` to the conversation's open chats; False when no socket.io channel runs.

    ``message`` is in the marked shape; clients that did not ask for marks get it without.
    """
    for pushed in _watchers.get(conversation_id, ()):
        pushed.set()
    if _sio is None:
        return False
    await emit_to_conversation(_sio, _event, conversation_id, message)  # links filtered there
    return True


async def push_typing(conversation_id: str, agent: str, typing: bool) -> bool:
    """Tell the conversation's widget that ``agent`` is (or stopped) typing; False without socket.io.

    Event ``agent_typing`` with ``{"agent": name, "typing": bool}``, to the marked room only:
    Rasa-shaped clients have no such event.
    """
    if _sio is None:
        return False
    await _sio.emit("agent_typing", {"agent": agent, "typing": bool(typing)}, room=room_of(conversation_id, True))
    return True


async def push_queue_position(conversation_id: str, position: int) -> bool:
    """Tell a waiting client its place in the queue (1 = next); False without socket.io.

    Event ``queue_position`` with ``{"position": n}``, to the marked room only.
    """
    if _sio is None:
        return False
    await _sio.emit("queue_position", {"position": int(position)}, room=room_of(conversation_id, True))
    return True


@contextmanager
def watch(conversation_id: str) -> Iterator[asyncio.Event]:
    """An event set by the next ``push`` to ``conversation_id`` on this replica, while in the block."""
    pushed = asyncio.Event()
    _watchers.setdefault(conversation_id, set()).add(pushed)
    try:
        yield pushed
    finally:
        watchers = _watchers.get(conversation_id)
        if watchers is not None:
            watchers.discard(pushed)
            if not watchers:
                del _watchers[conversation_id]
