"""After each saved conversation: its summary row, and the metrics of what was new in it.

Registered on the Rasa server by the agent side (``desk/insights.py``) through
``rasa_runtime/observers.py``. The row is written in a worker thread, off the
event loop; a process keeps, per conversation, the last event it counted only
to skip converting old events (the row itself decides what is new).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from handover.schema import Database
from insights import keeper, metrics
from rasa_runtime import observers

REMEMBERED = 20_000  # conversations whose last counted event this process remembers


class Observer:
    def __init__(self, db: Database) -> None:
        self.keeper = keeper.SummaryKeeper(db)
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def __call__(self, tracker: Any) -> None:
        conversation_id = tracker.sender_id
        since = self._seen.get(conversation_id, 0.0)
        events = [e.as_dict() for e in tracker.events if (e.timestamp or 0.0) > since]
        if not events:
            return
        counted = await asyncio.to_thread(self.keeper.observe, conversation_id, events)
        if counted:
            self._seen[conversation_id] = float(counted[-1].get("timestamp") or since)
            self._seen.move_to_end(conversation_id)
            while len(self._seen) > REMEMBERED:
                self._seen.popitem(last=False)
            metrics.count_events(counted)


def install(db: Database) -> Observer:
    """Keep summaries and metrics for every conversation this server saves, in ``db``."""
    observer = Observer(db)
    observers.add_observer("insights", observer)
    metrics.use_database(db)
    return observer
