"""Filling the inbox: reads conversations from Rasa's SQL tracker store, runs the reasons.

Incremental: the hand-over database keeps how far the inbox has read the
tracker store's ``events`` table and the suggestion feedback
(``review_cursor``); each ``gather`` reads every conversation with an event or
a feedback entry newer than that, whole, runs every reason of
``review/reasons.py`` on it and stores what they find (masked). A message
found again (its conversation went on) gets the new reasons added; nothing
found is ever removed by a later read.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from handover.records import aware
from handover.schema import client_ratings, review_cursor, suggestion_feedback
from privacy.masking import mask_text
from review.reasons import Conversation, Finding, Turn, findings
from review.store import ReviewStore
from toolkit import names

# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent), column for column
_events_meta = sa.MetaData()
EVENTS = sa.Table(
    "events",
    _events_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
CONTEXT_TURNS = 3  # lines of the conversation shown before and after a message
BATCH_CONVERSATIONS = 500  # conversations read per step of a gather

SourceLoader = Callable[[Connection, Sequence[str]], Dict[str, List[Dict[str, Any]]]]


def _rows_of(table: sa.Table, stamp: str) -> SourceLoader:
    """A loader of ``table``'s rows by conversation, each with ``at`` (its ``stamp`` column) as unix time."""

    def load(conn: Connection, conversation_ids: Sequence[str]) -> Dict[str, List[Dict[str, Any]]]:
        rows: Dict[str, List[Dict[str, Any]]] = {}
        query = sa.select(table).where(table.c.conversation_id.in_(list(conversation_ids))).order_by(table.c.id)
        for row in conn.execute(query).mappings():
            entry = dict(row)
            entry["at"] = aware(entry[stamp]).timestamp()  # type: ignore[union-attr]  # NOT NULL
            rows.setdefault(entry["conversation_id"], []).append(entry)
        return rows

    return load


# Records of the hand-over database the reasons see, by name: (loader, its table, for the cursor).
SOURCES: Dict[str, Tuple[SourceLoader, sa.Table]] = {
    "feedback": (_rows_of(suggestion_feedback, "at"), suggestion_feedback),
    "ratings": (_rows_of(client_ratings, "rated_at"), client_ratings),  # the client's "Did this help?"
}


def conversation_from_events(conversation_id: str, rows: Iterable[Tuple[int, str, str]]) -> Conversation:
    """A ``Conversation`` from its tracker events (id, type name, JSON data), in order."""
    turns: List[Turn] = []
    transcript: List[Tuple[str, str, str]] = []
    actions: List[str] = []

    def close_turn() -> None:
        if turns and actions:
            last = turns[-1]
            turns[-1] = Turn(**{**last.__dict__, "actions": tuple(actions)})
        actions.clear()

    for event_id, type_name, raw in rows:
        if type_name not in ("user", "bot", "action"):
            continue
        data = json.loads(raw or "{}")
        if type_name == "action":
            actions.append(str(data.get("name") or ""))
        elif type_name == "bot":
            if data.get("text"):
                transcript.append((str(event_id), "bot", str(data["text"])))
        else:
            close_turn()
            turn = turn_from_user_event(str(event_id), data)
            if turn is not None:
                turns.append(turn)
                transcript.append((turn.event_key, "client", turn.text))
    close_turn()
    return Conversation(conversation_id, turns, transcript=transcript)


def turn_from_user_event(event_key: str, data: Dict[str, Any]) -> Optional[Turn]:
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    parse = data.get("parse_data") or {}
    top = parse.get("intent") or {}
    ranking = [r for r in parse.get("intent_ranking") or [top] if r.get("name") != names.INTENT_NLU_FALLBACK]
    best = ranking[0] if ranking else {}
    second = ranking[1] if len(ranking) > 1 else {}
    normalized = (parse.get("normalized") or {}).get("text")
    return Turn(
        event_key=event_key,
        at=float(data.get("timestamp") or 0),
        text=text.strip(),
        intent=best.get("name"),
        confidence=best.get("confidence"),
        runner_up=second.get("name"),
        runner_up_confidence=second.get("confidence"),
        normalized=normalized if isinstance(normalized, str) and normalized != text else None,
        fell_back=top.get("name") == names.INTENT_NLU_FALLBACK,
        from_button=text.startswith("/"),  # a button's payload ("/affirm"), not the client's wording
    )


def group_key(text: str) -> str:
    """Near-duplicates share a key: case, punctuation, digits and spacing do not count."""
    lowered = re.sub(r"\d+", "#", text.lower())
    words = re.findall(r"\[[a-z]+\]|[\w#']+", lowered)
    return " ".join(w.strip("'") for w in words)[:255] or "(empty)"


def items_of(conversation: Conversation) -> List[Dict[str, Any]]:
    """The inbox rows for what the reasons found in one conversation (masked)."""
    by_turn: Dict[str, List[Finding]] = {}
    for finding in findings(conversation):
        if not finding.turn.from_button:  # nothing to learn from a payload
            by_turn.setdefault(finding.turn.event_key, []).append(finding)
    keys = [key for key, _, _ in conversation.transcript]
    items = []
    for event_key, found in by_turn.items():
        turn = found[0].turn
        where = keys.index(event_key) if event_key in keys else 0
        context = [
            {"who": who, "text": mask_text(text), "this": key == event_key}
            for key, who, text in conversation.transcript[max(0, where - CONTEXT_TURNS) : where + CONTEXT_TURNS + 1]
        ]
        reasons = sorted({f.reason for f in found})
        items.append(
            {
                "conversation_id": conversation.conversation_id,
                "event_key": event_key,
                "at": turn.at,
                "text": mask_text(turn.text),
                "normalized": mask_text(turn.normalized),
                "intent": turn.intent,
                "confidence": turn.confidence,
                "runner_up": turn.runner_up,
                "runner_up_confidence": turn.runner_up_confidence,
                "reasons": reasons,
                "why": {f.reason: mask_text(f.why) for f in found},
                "context": context,
                "group_key": group_key(mask_text(turn.normalized or turn.text)),
            }
        )
    return items


class Gatherer:
    """Reads new conversation events from the tracker store into the review inbox."""

    def __init__(self, tracker: Engine, store: ReviewStore) -> None:
        self.tracker = tracker
        self.store = store

    def gather(self) -> int:
        """Read everything new; the number of inbox rows written."""
        written = 0
        while True:
            step = self._step()
            if step is None:
                return written
            written += step

    def _step(self) -> Optional[int]:
        engine = self.store.db.engine
        with engine.connect() as conn:
            cursors = {r.name: r.position for r in conn.execute(sa.select(review_cursor))}
        events_from = cursors.get("events", 0)
        with self.tracker.connect() as tconn:
            # SQLite gives the ids of deleted newest rows out again: a cursor past the newest id starts from it
            newest = tconn.execute(sa.select(sa.func.max(EVENTS.c.id))).scalar() or 0
            if newest < events_from:
                events_from = newest
                self.store.save_items([], {"events": newest})
            changed = tconn.execute(
                sa.select(EVENTS.c.sender_id, sa.func.max(EVENTS.c.id))
                .where(EVENTS.c.id > events_from)
                .group_by(EVENTS.c.sender_id)
                .order_by(sa.func.max(EVENTS.c.id))
                .limit(BATCH_CONVERSATIONS)
            ).all()
        conversation_ids: Set[str] = {sender for sender, _ in changed}
        new_cursors = {"events": max([events_from, *(last for _, last in changed)])}
        with engine.connect() as conn:
            for name, (_, table) in SOURCES.items():
                start = cursors.get(name, 0)
                rows = conn.execute(
                    sa.select(table.c.id, table.c.conversation_id)
                    .where(table.c.id > start, table.c.conversation_id.is_not(None))
                    .order_by(table.c.id)
                    .limit(BATCH_CONVERSATIONS)
                ).all()
                conversation_ids.update(r.conversation_id for r in rows)
                new_cursors[name] = max([start, *(r.id for r in rows)])
            if not conversation_ids:
                return None
            ordered = sorted(conversation_ids)
            sources = {name: loader(conn, ordered) for name, (loader, _) in SOURCES.items()}
        items: List[Dict[str, Any]] = []
        with self.tracker.connect() as tconn:
            rows = tconn.execute(
                sa.select(EVENTS.c.sender_id, EVENTS.c.id, EVENTS.c.type_name, EVENTS.c.data)
                .where(EVENTS.c.sender_id.in_(ordered))
                .order_by(EVENTS.c.sender_id, EVENTS.c.id)
            ).all()
        by_conversation: Dict[str, List[Tuple[int, str, str]]] = {}
        for sender, event_id, type_name, data in rows:
            by_conversation.setdefault(sender, []).append((event_id, type_name, data))
        for conversation_id in ordered:
            conversation = conversation_from_events(conversation_id, by_conversation.get(conversation_id, []))
            conversation.sources = {name: rows.get(conversation_id, []) for name, rows in sources.items()}
            items.extend(items_of(conversation))
        try:
            self.store.save_items(items, new_cursors)
        except IntegrityError:  # another replica stored the same messages first, and moved the cursors
            return None
        return len(items)

    def existing(self, conversation_ids: Sequence[str]) -> Set[str]:
        """Which of these conversations the tracker store still has."""
        if not conversation_ids:
            return set()
        with self.tracker.connect() as conn:
            query = sa.select(EVENTS.c.sender_id).where(EVENTS.c.sender_id.in_(list(conversation_ids))).distinct()
            return {row[0] for row in conn.execute(query)}
