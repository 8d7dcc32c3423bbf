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


# --- the action server being down ----------------------------------------------------

_action_fallback_installed = False


def install_action_fallback() -> None:
    """Custom actions keep a calm face when the action server cannot be reached.

    Rasa OSS has no hook for this: its ``RemoteAction`` raises, the processor
    logs the error and drops the action's events, and the client gets nothing.
    ``ResilientRemoteAction`` (put in its place in ``rasa.core.actions.action``,
    where Rasa makes custom actions) runs the hand-over here, in the Rasa
    server, with the same code and store, so a client who asks for a person is
    still handed over and the record is still stored; any other custom action
    answers ``utter_service_unavailable``. Each call tries the action server
    first, so service is back to normal as soon as the action server is.
    """
    global _action_fallback_installed
    if _action_fallback_installed:
        return
    from rasa.core.actions import action as rasa_action

    rasa_action.RemoteAction = _resilient_remote_action_class(rasa_action.RemoteAction)
    _action_fallback_installed = True


def _action_server_unreachable(error: BaseException) -> bool:
    import asyncio

    import aiohttp

    seen: Any = error
    while seen is not None:
        if isinstance(seen, aiohttp.ClientConnectionError | asyncio.TimeoutError):
            return True
        if isinstance(seen, aiohttp.ClientResponseError) and seen.status >= 500:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _resilient_remote_action_class(base: type) -> type:
    from rasa.shared.exceptions import RasaException

    from actions import constants as c

    class ResilientRemoteAction(base):  # type: ignore[misc, valid-type]
        async def run(self, output_channel, nlg, tracker, domain):  # noqa: ANN001
            try:
                return await super().run(output_channel, nlg, tracker, domain)
            except RasaException as e:
                if not _action_server_unreachable(e):
                    raise
                if self.name() == c.ACTION_HAND_OVER:
                    logger.error("the action server is unreachable: handing over from the Rasa server")
                    return await self._hand_over_here(output_channel, nlg, tracker, domain)
                logger.error("the action server is unreachable: '%s' answered with a calm reply", self.name())
                return await self._utter_responses(
                    [{"response": c.UTTER_SERVICE_UNAVAILABLE}], output_channel, nlg, tracker
                )

        async def _hand_over_here(self, output_channel, nlg, tracker, domain):  # noqa: ANN001
            from rasa.shared.core import events
            from rasa.shared.core.trackers import EventVerbosity
            from rasa_sdk import Tracker
            from rasa_sdk.executor import CollectingDispatcher

            from actions.handover import ActionHandOver

            dispatcher = CollectingDispatcher()
            sdk_tracker = Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))
            returned = await ActionHandOver().run(dispatcher, sdk_tracker, domain.as_dict())
            said = await self._utter_responses(dispatcher.messages, output_channel, nlg, tracker)
            return said + events.deserialise_events(returned)

    return ResilientRemoteAction
