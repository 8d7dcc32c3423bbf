"""The two shapes of a message to a client's chat, and the socket.io room of each.

- **Rasa's shape**, the default: only the keys Rasa's own socket.io channel
  sends (``text``, ``quick_replies`` / ``buttons``, ``attachment``, ...), so any
  client built for Rasa's channel (rasa-webchat above all, which renders a
  message only when its keys are exactly these) shows every bot and agent
  message, the hand-over notices included.
- **The marked shape**: the same message with the marks our widget reads
  (``handover``, ``from_agent``, ``agent``, ``handover_ended``,
  ``handover_timeout``, and ``system`` for a line that is not a message,
  such as "X has joined"). A client asks for it with ``"marks": true`` in its
  ``session_request`` data; the widget does.

A message to a conversation is emitted twice, into one room per shape: the
room named by the conversation id (Rasa's own room name, for Rasa-shaped
clients) and that id with ``MARKED_SUFFIX``. Each socket is in exactly one of
the two, so it gets each message once, in the shape it asked for, also when
the emit is a broadcast through Redis from another replica. Every text passes
the one link filter (``web.links.safe_text``) on its way.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from web.links import safe_text

# What Rasa's SocketIOOutput itself puts in a bot message (and our "custom" wrapper).
RASA_KEYS = frozenset({"text", "quick_replies", "buttons", "attachment", "elements", "custom"})
# Conversation ids are hex (channels/identity.py): no id ends with this.
MARKED_SUFFIX = "#marked"
MARKS_FLAG = "marks"  # in session_request data: {"session_id": ..., "marks": true}


def room_of(conversation_id: str, marked: bool) -> str:
    """The room a socket of ``conversation_id`` joins for the shape it asked for."""
    return conversation_id + MARKED_SUFFIX if marked else conversation_id


def wants_marks(session_request: Any) -> bool:
    return isinstance(session_request, dict) and session_request.get(MARKS_FLAG) is True


def marked_shape(message: Dict[str, Any]) -> Dict[str, Any]:
    """The message with its marks, its text through the link filter."""
    if isinstance(message.get("text"), str):
        return {**message, "text": safe_text(message["text"])}
    return dict(message)


def rasa_shape(message: Dict[str, Any]) -> Dict[str, Any]:
    """The message as Rasa's socket.io channel would send it: its marks left out."""
    return {key: value for key, value in marked_shape(message).items() if key in RASA_KEYS}


async def emit_to_conversation(
    sio: Any, event: str, conversation_id: str, message: Any, namespace: Optional[str] = None
) -> None:
    """``message`` to every open chat of the conversation, each in the shape its client asked for."""
    if not isinstance(message, dict):  # nothing to shape; Rasa's channel sends it as is
        for marked in (False, True):
            await sio.emit(event, message, room=room_of(conversation_id, marked), namespace=namespace)
        return
    await sio.emit(event, rasa_shape(message), room=room_of(conversation_id, False), namespace=namespace)
    await sio.emit(event, marked_shape(message), room=room_of(conversation_id, True), namespace=namespace)
