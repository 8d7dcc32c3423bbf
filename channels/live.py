"""Messages to a client's open chat that do not answer a client message.

The agent desk uses it to deliver an agent's reply, and the notices when a
hand-over ends or waits too long, to the widget in real time: the socket.io
channel registers its server here, and a message is emitted into the rooms of
the conversation, one per shape (``channels/shapes.py``): Rasa's shape for any
Rasa web client, the marked shape for our widget. A client not connected right
now sees the message from the conversation's history when it reconnects.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from channels.shapes import emit_to_conversation

logger = logging.getLogger(__name__)

_sio: Optional[Any] = None
_event = "bot_uttered"


def register(sio: Any, bot_message_evt: str) -> None:
    global _sio, _event
    _sio, _event = sio, bot_message_evt


async def push(conversation_id: str, message: Dict[str, Any]) -> bool:
    """Emit ``message`` to the conversation's open chats; False when no socket.io channel runs.

    ``message`` is in the marked shape; clients that did not ask for marks get it without.
    """
    if _sio is None:
        return False
    await emit_to_conversation(_sio, _event, conversation_id, message)  # links filtered there
    return True
