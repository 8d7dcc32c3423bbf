"""One way into Rasa for a client's message, from REST and from socket.io alike.

A message either goes through, or the client gets a clear refusal with an
incident id that is also in the log line: 503 when a backing service (the
conversation store, the lock store) is down, nothing being lost; 500 for
anything else. The tracker store raises instead of silently falling back to
memory (``rasa_runtime/strict_store.py``).

A message that went through is then told to the listeners registered with
``add_listener`` (the agent desk pushes it to agent pages, ``desk/live.py``):
on the replica that handled it, once, after Rasa saved the conversation. A
failing listener is logged and never fails the client's message.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage

from insights import metrics
from rasa_runtime.strict_store import is_outage
from web.http import ApiError

logger = logging.getLogger(__name__)

STORE_DOWN = "the conversation store is unavailable; nothing was lost, please try again shortly"
HANDLING_FAILED = "the assistant failed to handle this message"

Listener = Callable[[str, str], Awaitable[None]]  # (conversation id, the client's text)
_listeners: Dict[str, Listener] = {}


def add_listener(name: str, listener: Listener) -> None:
    """Register (or replace) ``listener``, called after each client message that went through."""
    _listeners[name] = listener


def remove_listener(name: str) -> None:
    _listeners.pop(name, None)


async def _tell_listeners(message: UserMessage) -> None:
    for name, listener in list(_listeners.items()):
        try:
            await listener(message.sender_id, message.text or "")
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a listener never fails the client's message
            logger.exception("the %s listener failed after a message of conversation %s", name, message.sender_id)


async def deliver(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> Optional[ApiError]:
    """Hand ``message`` to Rasa; None when it went through, else the refusal to give the client."""
    timer = metrics.Timer(message.input_channel or "unknown")  # GET /metrics (insights/metrics.py)
    try:
        await on_new_message(message)
    except asyncio.CancelledError:
        raise
    except Exception as e:  # noqa: BLE001 - every failure becomes a logged, clear answer
        timer.done(answered=False)
        incident = uuid.uuid4().hex[:12]
        if is_outage(e):
            logger.error(
                "incident %s: a backing service is down (%s; %s channel)",
                incident,
                type(e).__name__,
                message.input_channel,
            )
            return ApiError(503, STORE_DOWN, incident=incident)
        logger.exception("incident %s: handling a client message failed (%s channel)", incident, message.input_channel)
        return ApiError(500, HANDLING_FAILED, incident=incident)
    timer.done(answered=True)
    if _listeners:
        await _tell_listeners(message)
    return None
