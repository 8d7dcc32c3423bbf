"""Failures of the conversation store become clear errors, never silent loss.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database
fails, ``retrieve`` returns nothing (a client's history silently starts again)
and ``save`` writes to memory (replicas diverge, the conversation is lost at the
next restart). The wrapper takes a callback for errors; ``make_store_strict``
gives it one that raises ``ConversationStoreUnavailable``, so the request fails
with a 503 and a log line, and the next request after the database is back is
served normally.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class ConversationStoreUnavailable(RuntimeError):
    """The tracker store (or the lock store) could not be reached."""


def _raise_unavailable(error: Exception) -> None:
    logger.error("the conversation store failed (%s: %s); the request is refused", type(error).__name__, error)
    raise ConversationStoreUnavailable(str(error)) from error


def make_store_strict(agent: Any) -> None:
    """Turn off the in-memory fallback of the agent's tracker store (idempotent)."""
    store = getattr(agent, "tracker_store", None) if agent is not None else None
    if store is not None and hasattr(store, "_on_tracker_store_error"):
        store._on_tracker_store_error = _raise_unavailable


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means a backing service is down (answer 503, not 500)."""
    import sqlalchemy.exc
    from rasa.core.lock_store import LockError

    outage_types: tuple = (ConversationStoreUnavailable, sqlalchemy.exc.OperationalError, LockError, ConnectionError)
    try:
        import redis.exceptions

        outage_types += (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    except ImportError:  # pragma: no cover - redis ships with rasa
        pass
    seen = error
    while seen is not None:
        if isinstance(seen, outage_types):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
