"""Rasa's SQL tracker store with its per-message queries prepared once.

Every message costs the SQL tracker store two round trips through
SQLAlchemy's ORM: reading the conversation's latest session (``_retrieve``),
then, to save, counting what of it is stored and adding the new events one ORM
object at a time (``save``). A sampling profile of the Rasa server
(docs/performance-log.md) put two fifths of each message's handling in that store, most
of it in building ORM queries and objects rather than in the database.

``install()`` gives ``SQLTrackerStore`` the same two operations as Core
statements built once per process: the same tables, the same rows and columns,
the same notion of the latest session (events from the newest
``session_started`` on, by timestamp, as Rasa defines it), the same order (by
id), and the same transaction per call through Rasa's own ``session_scope``.
New events go in as one multi-row insert. Errors are SQLAlchemy's, as before,
so a database outage still reaches ``rasa_runtime/strict_store.is_outage`` as one.
Everything else of the store (its engine, schema creation, the event broker,
``keys``) is Rasa's, on any database it supports.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

SENDER = "sender_id"  # the one parameter of the read and count statements


@dataclass(frozen=True)
class Statements:
    """The store's per-message statements, for one events table."""

    latest_session: Any  # the data of the latest session's events, in order
    all_sessions: Any  # the data of every event of the conversation, in order
    stored_in_latest_session: Any  # how many events of the latest session are stored
    insert: Any


def statements_for(events: Any) -> Statements:
    """Build the statements for Rasa's ``events`` table (``SQLTrackerStore.SQLEvent.__table__``)."""
    import sqlalchemy as sa
    from rasa.shared.core.events import SessionStarted

    sender = sa.bindparam(SENDER)
    latest_start = (
        sa.select(sa.func.max(events.c.timestamp).label("session_start"))
        .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
        .subquery()
    )
    in_latest_session = sa.and_(
        events.c.sender_id == sender,
        sa.or_(events.c.timestamp >= latest_start.c.session_start, latest_start.c.session_start.is_(None)),
    )
    return Statements(
        latest_session=sa.select(events.c.data).where(in_latest_session).order_by(events.c.id),
        all_sessions=sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id),
        stored_in_latest_session=sa.select(sa.func.count()).select_from(events).where(in_latest_session),
        insert=events.insert(),
    )


def event_row(sender_id: str, event: Any) -> Dict[str, Any]:
    """One row of the events table for ``event``: the columns Rasa fills, with its values."""
    data = event.as_dict()
    intent = data.get("parse_data", {}).get("intent", {})
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": intent.get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def install() -> None:
    """``SQLTrackerStore`` reads and saves with statements built once (see above)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    statements = statements_for(SQLTrackerStore.SQLEvent.__table__)

    async def _retrieve(
        self: SQLTrackerStore, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        query = statements.all_sessions if fetch_events_from_all_sessions else statements.latest_session
        with self.session_scope() as session:
            events = [json.loads(data) for data in session.execute(query, {SENDER: sender_id}).scalars()]
        if not (self.domain and events):
            logger.debug("no stored conversation %r (or no domain to rebuild it with)", sender_id)
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    async def save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)  # Rasa's: the new events to the event broker, if any
        with self.session_scope() as session:
            stored = session.execute(statements.stored_in_latest_session, {SENDER: tracker.sender_id}).scalar_one()
            rows: List[Dict[str, Any]] = [
                event_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)
            ]
            if rows:
                session.execute(statements.insert, rows)
            session.commit()
        logger.debug("stored %d new events of conversation %r", len(rows), tracker.sender_id)

    SQLTrackerStore._retrieve = _retrieve
    SQLTrackerStore.save = save
