"""Failures of the conversation store become clear errors, never silent loss.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database
fails, ``retrieve`` returns nothing (a client's history silently starts again)
and ``save`` writes to memory (replicas diverge, the conversation is lost at
the next restart). The wrapper takes a callback for errors, which Rasa's agent
never passes; ``install()`` makes the raising one the default, so the request
fails with a 503 and a log line (``channels/delivery.py``), and the next
request after the database is back is served normally.

Guarded by tests/test_reliability.py (the database cut and restored).
"""

from __future__ import annotations

import logging
from typing import Any, Optional

logger = logging.getLogger(__name__)


class ConversationStoreUnavailable(RuntimeError):
    """The tracker store (or the lock store) could not be reached."""


def raise_unavailable(error: Exception) -> None:
    logger.error("the conversation store failed (%s: %s); the request is refused", type(error).__name__, error)
    raise ConversationStoreUnavailable(str(error)) from error


def install() -> None:
    """Rasa's fail-safe wrapper raises instead of falling back to memory."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    rasa_init = FailSafeTrackerStore.__init__

    def strict_init(
        self: FailSafeTrackerStore,
        tracker_store: Any,
        on_tracker_store_error: Optional[Any] = None,
        fallback_tracker_store: Optional[Any] = None,
    ) -> None:
        rasa_init(self, tracker_store, on_tracker_store_error or raise_unavailable, fallback_tracker_store)

    FailSafeTrackerStore.__init__ = strict_init


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
    seen: Optional[BaseException] = error
    while seen is not None:
        if isinstance(seen, outage_types):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
