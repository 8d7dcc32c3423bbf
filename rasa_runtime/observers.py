"""Code of ours that runs after Rasa's message processor saves a conversation.

Rasa has no hook after a message is handled other than the event broker (a
queue for other processes). ``install()`` wraps
``MessageProcessor.save_tracker``, which every client message ends with, so
each callback registered with ``add_observer`` sees the saved tracker: the
summary rows and live metrics of insights (``insights/observe.py``). A failing
observer is logged and never fails the client's message; with none
registered the save is Rasa's own.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict

logger = logging.getLogger(__name__)

Observer = Callable[[Any], Awaitable[None]]  # called with the saved DialogueStateTracker
_observers: Dict[str, Observer] = {}
_installed = False


def add_observer(name: str, observer: Observer) -> None:
    """Register (or replace) the observer called ``name``."""
    _observers[name] = observer


def remove_observer(name: str) -> None:
    _observers.pop(name, None)


async def notify(tracker: Any) -> None:
    for name, observer in list(_observers.items()):
        try:
            await observer(tracker)
        except Exception:  # noqa: BLE001 - an observer never fails the client's message
            logger.exception("the %s observer failed after saving conversation %s", name, tracker.sender_id)


def install() -> None:
    global _installed
    if _installed:
        return
    from rasa.core.processor import MessageProcessor

    save_tracker = MessageProcessor.save_tracker

    async def save_and_notify(self: MessageProcessor, tracker: Any) -> None:
        await save_tracker(self, tracker)
        if _observers:
            await notify(tracker)

    MessageProcessor.save_tracker = save_and_notify
    _installed = True
