"""Keeps the summary row of each conversation as the Rasa server saves it.

Only the events newer than the row's ``last_event_at`` are counted, so a save
that repeats a conversation's history counts nothing twice, a conversation
spread over several sessions (days apart) adds up in one row, and a replica
that takes over a conversation goes on from where another left it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional

from sqlalchemy.exc import IntegrityError

from handover.schema import Database
from insights import sync
from insights.schema import conversation_insights, ensure
from toolkit import names
from toolkit.served import get_library

logger = logging.getLogger(__name__)

ACTION_DEFAULT_FALLBACK = "action_default_fallback"  # Rasa's own fallback action
THANKS = frozenset({names.INTENT_THANK, names.INTENT_GOODBYE})


@dataclass
class Facts:
    """The summary row of one conversation, as counted so far."""

    conversation_id: str
    started_at: Optional[datetime] = None
    last_event_at: float = 0.0
    last_client_at: Optional[datetime] = None
    last_answer_at: Optional[datetime] = None
    last_unanswered_at: Optional[datetime] = None
    thanked_at: Optional[datetime] = None
    messages: int = 0
    answers: int = 0
    fallbacks: int = 0
    clarifications: int = 0
    macros: Dict[str, Dict[str, int]] = field(default_factory=dict)

    def row(self) -> Dict[str, Any]:
        data = dict(self.__dict__)
        data["macros"] = json.dumps(self.macros, sort_keys=True)
        if self.started_at is not None:
            data["started_day"] = self.started_at.astimezone(timezone.utc).date().isoformat()
        return data


def count(facts: Facts, events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Add the events newer than the facts to them; returns the events counted.

    A script or link sent is counted for a macro (``"_macro"`` is added to its
    event for the metrics): the one agent assist suggests for the client's
    intent that holds it, else the smallest one that holds it.
    """
    counted = []
    intent: Optional[str] = None
    script_macro: Optional[tuple[float, str]] = None  # a script's link goes with it
    for event in events:
        stamp = float(event.get("timestamp") or 0.0)
        if stamp <= facts.last_event_at:
            continue
        counted.append(event)
        facts.last_event_at = stamp
        at = datetime.fromtimestamp(stamp, timezone.utc)
        kind = event.get("event")
        if kind == "user":
            facts.messages += 1
            facts.started_at = facts.started_at or at
            facts.last_client_at = at
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in THANKS and facts.last_answer_at is not None:
                facts.thanked_at = at
        elif kind == "action":
            name = event.get("name")
            if name == ACTION_DEFAULT_FALLBACK:
                facts.fallbacks += 1
                facts.last_unanswered_at = at
            elif name == names.ACTION_CLARIFY_MEANING:
                facts.clarifications += 1
                facts.last_unanswered_at = at
        elif kind == "slot" and event.get("value"):
            value = str(event["value"])
            if event.get("name") == names.SLOT_SCRIPT_SENT:
                event["_macro"] = macro_for(intent, lambda m, v=value: any(r.id == v for r in m.resources)) or value
                script_macro = (stamp, event["_macro"])
                _sent(facts, at, event["_macro"], "scripts")
            elif event.get("name") == names.SLOT_LINK_SENT:
                same_action = script_macro is not None and stamp - script_macro[0] < 0.01
                holds = lambda m, v=value: any(link.url == v for link in m.links)  # noqa: E731
                event["_macro"] = script_macro[1] if same_action and script_macro else macro_for(intent, holds) or value
                _sent(facts, at, event["_macro"], "links")
    return counted


def _sent(facts: Facts, at: datetime, macro: str, what: str) -> None:
    # a script and its link are one answer: both are set by the same action
    if facts.last_answer_at is None or (at - facts.last_answer_at).total_seconds() >= 0.01:
        facts.answers += 1
    facts.last_answer_at = at
    entry = facts.macros.setdefault(macro, {"scripts": 0, "links": 0})
    entry[what] += 1


def macro_for(intent: Optional[str], holds: Callable[[Any], bool]) -> Optional[str]:
    """The macro a sent script or link counts for (see ``count``)."""
    candidates = [m for m in get_library().macros.values() if holds(m)]
    if not candidates:
        return None
    suggested = [m for m in candidates if intent in m.suggest_for]
    return (suggested or sorted(candidates, key=lambda m: len(m.resources)))[0].id


class SummaryKeeper:
    """Reads and writes the summary rows, in the hand-over database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def observe(self, conversation_id: str, events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Count the conversation's new events; returns them (nothing new: nothing written)."""
        engine = self._db.engine
        ensure(engine)
        for attempt in (1, 2):
            try:
                with engine.begin() as conn:
                    facts, stored = _read(conn, conversation_id)
                    counted = count(facts, events)
                    if not counted or facts.started_at is None:
                        return counted  # no client message yet: not a conversation to count
                    table = conversation_insights
                    if stored:
                        where = table.c.conversation_id == conversation_id
                        conn.execute(table.update().where(where).values(**facts.row()))
                    else:
                        conn.execute(table.insert().values(**facts.row()))
                        sync.refresh(conn, [conversation_id])  # a hand-over made before this first save
                    return counted
            except IntegrityError:
                if attempt == 2:  # another replica inserted the row in between: read it and go on
                    raise
        return []

    def get(self, conversation_id: str) -> Optional[Facts]:
        ensure(self._db.engine)
        with self._db.engine.connect() as conn:
            facts, stored = _read(conn, conversation_id)
        return facts if stored else None


def _read(conn: Any, conversation_id: str) -> tuple[Facts, bool]:
    table = conversation_insights
    query = table.select().where(table.c.conversation_id == conversation_id)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        return Facts(conversation_id), False
    data = {key: value for key, value in dict(row).items() if key in Facts.__dataclass_fields__}
    data["macros"] = json.loads(data["macros"] or "{}")
    for key, value in data.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            data[key] = value.replace(tzinfo=timezone.utc)
    return Facts(**data), True


__all__ = ["Facts", "SummaryKeeper", "count"]
