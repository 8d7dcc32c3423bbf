"""Hand-overs delivered to an external help desk: payload, signature, delivery with back-off.

When ``HANDOVER_WEBHOOK_URL`` is set, the hand-over action queues each new
hand-over (and the store, when its client ends the chat, ``handover.client_left``)
in the store's outbox (``handover/outbox.py``) in the same transaction as the hand-over
itself; the Rasa server's background worker (``deliver_due``) POSTs it as JSON
and marks it delivered on a 2xx answer. Anything else is retried with
exponential back-off, across restarts, until the desk takes it: nothing is lost
while the desk is down. Each attempt carries the same delivery id, so a desk
that answered 2xx but whose answer was lost can drop the repeat.

The payload follows what help desks accept from a bot handing over (the
conversation, its transcript, the topic, the priority, what was already sent,
and the internal KB reference); the signature is an HMAC-SHA256 of
``"<timestamp>.<body>"`` with the shared secret, sent as
``X-Toolkit-Signature: t=<timestamp>,v1=<hex>``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import time
from typing import Any, Dict, Optional
from urllib.parse import urlparse

import aiohttp

from handover.records import HandOver, OutboxItem
from handover.store import HandOverStore
from settings.desk import DeskSettings
from settings.handover import webhook_enabled

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Toolkit-Signature"
DELIVERY_HEADER = "X-Toolkit-Delivery"
EVENT_HEADER = "X-Toolkit-Event"
SOURCE = "client-toolkit-assistant"


def enabled() -> bool:
    """Whether hand-overs are queued for a help desk (the URL is validated at start)."""
    return webhook_enabled()


def host_of(settings: DeskSettings) -> str:
    """The desk's host, for logs (the URL itself may carry a secret)."""
    return urlparse(settings.webhook_url or "").netloc


def handover_payload(handover: HandOver) -> Dict[str, Any]:
    """What the help desk receives about a new hand-over."""
    return {
        "source": SOURCE,
        "handover": {
            "id": handover.id,
            "status": handover.status,
            "reason": handover.reason,
            "priority": handover.priority,
            "created_at": handover.created_at.isoformat() if handover.created_at else None,
        },
        "conversation": {"id": handover.conversation_id, "transcript": handover.transcript},
        "intent": {"name": handover.intent, "confidence": handover.confidence},
        "concern": handover.concerns,
        "contract_type": handover.contract_type,
        "macro_sent": {
            "macro_id": handover.macro_id,
            "script": handover.script_sent,
            "link": handover.link_sent,
        },
        "kb_reference": {"title": handover.kb_title, "section": handover.kb_section},
    }


def sign(secret: str, body: bytes, timestamp: Optional[int] = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, tolerance_seconds: float = 300) -> bool:
    """What a receiving desk does: check the HMAC and that the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - stamp) > tolerance_seconds:
        return False
    expected = sign(secret, body, stamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def retry_delay(settings: DeskSettings, attempts_so_far: int) -> float:
    """Exponential back-off with jitter, capped."""
    delay = min(settings.retry_base_seconds * (2 ** min(attempts_so_far, 20)), settings.retry_cap_seconds)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


async def deliver_due(store: HandOverStore, settings: DeskSettings, session: aiohttp.ClientSession) -> int:
    """One pass over the outbox: try every due delivery once. Returns how many were delivered."""
    if not settings.webhook_enabled:
        return 0
    delivered = 0
    items = await asyncio.to_thread(store.outbox.due)
    for item in items:
        lease = settings.webhook_timeout_seconds + 30
        if not await asyncio.to_thread(store.outbox.lease, item, lease):
            continue  # another replica took it
        if await _attempt(store, settings, session, item):
            delivered += 1
    return delivered


async def _attempt(
    store: HandOverStore, settings: DeskSettings, session: aiohttp.ClientSession, item: OutboxItem
) -> bool:
    body = item.payload.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": SOURCE,
        SIGNATURE_HEADER: sign(settings.webhook_secret or "", body),
        DELIVERY_HEADER: item.delivery_id,
        EVENT_HEADER: item.event,
    }
    host = host_of(settings)
    try:
        timeout = aiohttp.ClientTimeout(total=settings.webhook_timeout_seconds)
        async with session.post(settings.webhook_url or "", data=body, headers=headers, timeout=timeout) as answer:
            status = answer.status
        error = None if 200 <= status < 300 else f"the help desk answered HTTP {status}"
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
        error = f"could not reach the help desk at {host}: {type(e).__name__}"
    if error is None:
        await asyncio.to_thread(store.outbox.mark_delivered, item.id)
        logger.info(
            "hand-over %s delivered to the help desk at %s (delivery %s)", item.handover_id, host, item.delivery_id
        )
        return True
    delay = retry_delay(settings, item.attempts)
    await asyncio.to_thread(store.outbox.mark_failed, item.id, error, delay)
    logger.warning(
        "hand-over %s not delivered (attempt %d): %s; next try in %.0f s",
        item.handover_id,
        item.attempts + 1,
        error,
        delay,
    )
    return False
