"""Messages to a client's open chat that do not answer a client message.

The agent desk uses it to deliver an agent's reply, and the notices when a
hand-over ends or waits too long, to the widget in real time: the socket.io
channel registers its server here, and a message is emitted into the room of
the conversation (with session persistence, Rasa puts every socket of a
conversation in the room named by its id). A client not connected right now
sees the message from the conversation's history when it reconnects.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from web.links import safe_text

logger = logging.getLogger(__name__)

_sio: Optional[Any] = None
_event = "bot_uttered"


def register(sio: Any, bot_message_evt: str) -> None:
    global _sio, _event
    _sio, _event = sio, bot_message_evt


async def push(conversation_id: str, message: Dict[str, Any]) -> bool:
    """Emit ``message`` to the conversation's open chats; False when no socket.io channel runs."""
    if _sio is None:
        return False
    if "text" in message:  # the same link filter as every bot message
        message = {**message, "text": safe_text(message["text"])}
    await _sio.emit(_event, message, room=conversation_id)
    return True
