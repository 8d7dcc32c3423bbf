"""One way into Rasa for a client's message, from REST and from socket.io alike.

A message either goes through, or the client gets a clear refusal with an
incident id that is also in the log line: 503 when a backing service (the
conversation store, the lock store) is down, nothing being lost; 500 for
anything else. The tracker store raises instead of silently falling back to
memory (``rasa_runtime/strict_store.py``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage

from insights import metrics
from rasa_runtime.strict_store import is_outage
from web.http import ApiError

logger = logging.getLogger(__name__)

STORE_DOWN = "the conversation store is unavailable; nothing was lost, please try again shortly"
HANDLING_FAILED = "the assistant failed to handle this message"


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
    return None
