"""The hand-over tables, and the database they live in.

An SQLite file by default (``state/handovers.db``); any SQLAlchemy URL from
``HANDOVER_DB_URL`` (PostgreSQL in a scaled-out setup, shared by replicas).

- ``handovers``: one row a hand-over, with its status ``waiting`` → ``claimed``
  → ``resolved``. A conversation has at most one open hand-over (waiting or
  claimed): a partial unique index enforces it, so asking twice, or two
  replicas racing, never makes a second record.
- ``handover_events``: every step, in order, with who did it.
- ``handover_notes``: agents' internal notes on a hand-over (never sent to
  the client; ``handover/notes.py``).
- ``suggestion_feedback``: what agents did with the macros suggested to them.
- ``handover_outbox``: hand-overs waiting to be delivered to an external help
  desk, written in the same transaction as the hand-over itself.
- ``review_items``, ``review_labels``, ``review_cursor``: the review inbox
  (``review/``), its labels and how far it has read.
- ``client_ratings``: the client's "Did this help?", one row per rated step of
  a conversation (``handover/ratings.py``).
- ``agent_presence``: each agent's last heartbeat from a desk page, and the
  status they set by hand (``handover/presence.py``).

Tables from an earlier version gain their new columns on connect (nothing is
dropped).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Dict, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from handover.records import STATUS_WAITING
from settings.handover import default_db_url

metadata = sa.MetaData()
_open_clause = sa.text("status IN ('waiting', 'claimed')")
_Time = sa.DateTime(timezone=True)

handovers = sa.Table(
    "handovers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default=STATUS_WAITING),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float),
    sa.Column("concern", sa.String(255)),
    sa.Column("contract_type", sa.String(64)),
    sa.Column("macro_id", sa.String(128)),
    sa.Column("script_sent", sa.String(128)),
    sa.Column("link_sent", sa.String(2048)),
    sa.Column("kb_title", sa.String(255)),
    sa.Column("kb_section", sa.String(255)),
    sa.Column("transcript", sa.Text, nullable=False),
    sa.Column("created_at", _Time, nullable=False),
    sa.Column("updated_at", _Time, nullable=False),
    # added with the agent desk
    sa.Column("priority", sa.String(16)),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", _Time),
    sa.Column("resolved_by", sa.String(64)),
    sa.Column("resolved_at", _Time),
    sa.Column("outcome", sa.String(16)),
    sa.Column("client_notified_at", _Time),
    sa.Column("follow_up", sa.String(32)),
    # added with presence and working hours: what the client was told (online, nobody_online, outside_hours)
    sa.Column("availability", sa.String(16)),
    # --- added with the live desk (issue 16, desk/live.py): pushed once, raised again once, the latest client line
    sa.Column("announced_at", _Time),  # when agent pages were told of it (one replica wins)
    sa.Column("reraised_at", _Time),  # when it was raised again, unclaimed too long (one replica wins)
    sa.Column("last_client_text", sa.Text),  # the client's latest message, masked
    sa.Column("last_client_at", _Time),
    # --- end of the live desk's columns
    sa.Index("ix_handovers_status_created", "status", "created_at"),
    sa.Index(
        "uq_handovers_open_conversation",
        "conversation_id",
        unique=True,
        sqlite_where=_open_clause,
        postgresql_where=_open_clause,
    ),
)

handover_events = sa.Table(
    "handover_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handover_id", sa.Integer, sa.ForeignKey("handovers.id"), nullable=False),
    sa.Column("at", _Time, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),
    sa.Index("ix_handover_events_handover", "handover_id", "id"),
)

# --- the live desk (issue 16): agents' internal notes on a hand-over, never sent to the client
handover_notes = sa.Table(
    "handover_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handover_id", sa.Integer, sa.ForeignKey("handovers.id"), nullable=False),
    sa.Column("at", _Time, nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # masked like every stored text
    sa.Index("ix_handover_notes_handover", "handover_id", "id"),
)
# --- end of the live desk's table

suggestion_feedback = sa.Table(
    "suggestion_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", _Time, nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("conversation_id", sa.String(255)),
    sa.Column("handover_id", sa.Integer),
    sa.Column("macro_id", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("confidence", sa.Float),
    sa.Column("intent", sa.String(64)),
    sa.Column("shown_rank", sa.Integer),  # added with insights: 0 = the top suggestion
    sa.Index("ix_suggestion_feedback_macro", "macro_id", "action"),
)

handover_outbox = sa.Table(
    "handover_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(64), nullable=False, unique=True),
    sa.Column("handover_id", sa.Integer, sa.ForeignKey("handovers.id"), nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", _Time, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", _Time, nullable=False),
    sa.Column("delivered_at", _Time),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_handover_outbox_due", "delivered_at", "next_attempt_at"),
)

client_ratings = sa.Table(
    "client_ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("step", sa.String(64), nullable=False),  # "answer:<ms>" or "resolution:<hand-over id>"
    sa.Column("helpful", sa.Boolean, nullable=False),
    sa.Column("comment", sa.Text),  # masked like hand-over records
    sa.Column("rated_at", _Time, nullable=False),
    sa.Column("handover_id", sa.Integer),  # the hand-over a resolution step ended
    sa.Index("uq_client_ratings_step", "conversation_id", "step", unique=True),
    sa.Index("ix_client_ratings_unhelpful", "helpful", "rated_at"),
    sqlite_autoincrement=True,  # a changed rating is a new row with a new id, never a deleted one's again
)


# --- the review inbox (review/): client messages worth a reviewer's look, and their labels
review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("event_key", sa.String(64), nullable=False),  # the client message's event in the tracker store
    sa.Column("at", _Time, nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # masked, as every stored client text
    sa.Column("normalized", sa.Text),  # masked; what the spelling normaliser made of it, when it changed it
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float),
    sa.Column("runner_up", sa.String(64)),
    sa.Column("runner_up_confidence", sa.Float),
    sa.Column("reasons", sa.String(255), nullable=False),  # space-separated reason names
    sa.Column("detail", sa.Text, nullable=False, default="{}"),  # JSON: why, turns before and after (masked)
    sa.Column("group_key", sa.String(255), nullable=False),  # near-duplicates share it
    sa.Column("stale", sa.Boolean, nullable=False, default=False),  # the conversation is gone
    sa.Index("uq_review_items_message", "conversation_id", "event_key", unique=True),
    sa.Index("ix_review_items_group", "group_key"),
    sa.Index("ix_review_items_at", "at"),
)

review_labels = sa.Table(
    "review_labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("group_key", sa.String(255), nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),  # confirm, relabel, out_of_scope, discard
    sa.Column("intent", sa.String(64)),  # what the examples are trained as (none for discard)
    sa.Column("reviewer", sa.String(64), nullable=False),
    sa.Column("at", _Time, nullable=False),
    sa.Column("undone_by", sa.String(64)),
    sa.Column("undone_at", _Time),
    # one decision in force per group: a second reviewer's concurrent label fails here
    sa.Index(
        "uq_review_labels_current",
        "group_key",
        unique=True,
        sqlite_where=sa.text("undone_at IS NULL"),
        postgresql_where=sa.text("undone_at IS NULL"),
    ),
)

review_cursor = sa.Table(  # how far the inbox has read the tracker store and the feedback
    "review_cursor",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)


# --- presence (issue 16, handover/presence.py): who is at the desk, seen by every replica
agent_presence = sa.Table(
    "agent_presence",
    metadata,
    sa.Column("agent", sa.String(64), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, default="auto"),  # set by hand: online, away, offline, auto
    sa.Column("last_seen", _Time, nullable=False),  # the page's last heartbeat
    sa.Column("last_active", _Time),  # the last heartbeat after input on the page
)


class Database:
    """The hand-over database, connected on first use; safe to share between threads."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or default_db_url()
        self._engine: Optional[Engine] = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = _connect(self.url)
            return self._engine

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _connect(url_text: str) -> Engine:
    url = sa.engine.make_url(url_text)
    kwargs: Dict[str, Any] = {"future": True, "pool_pre_ping": True}
    sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if sqlite_file:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # Connections kept open and lent to one thread at a time (SQLAlchemy 1.4 opened and closed
        # the file for every statement: the schema read again each time, and the last connection
        # to close checkpoints the log and waits for the disk, 16-22 ms a write; see
        # docs/performance-log.md). The servers use the store from their worker threads.
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        kwargs["poolclass"] = sa.pool.QueuePool
    engine = sa.create_engine(url, **kwargs)
    if sqlite_file:
        sa.event.listen(engine, "connect", _write_ahead_log)
    metadata.create_all(engine)
    add_missing_columns(engine, metadata)
    return engine


def _write_ahead_log(dbapi_connection: Any, connection_record: Any) -> None:
    """An SQLite file: readers never wait for the writer, and a commit does not wait for the disk (a
    crash of the server loses nothing committed; a power cut may lose the last commits, never the file)."""
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def add_missing_columns(engine: Engine, tables: sa.MetaData) -> None:
    """Bring tables made by an earlier version up to date: add the columns they lack."""
    inspector = sa.inspect(engine)
    for table in tables.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c for c in table.columns if c.name not in present]
        if not missing:
            continue
        with engine.begin() as conn:
            for column in missing:
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
