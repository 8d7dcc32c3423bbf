"""The small tables insights read, kept by the server beside the hand-over tables.

In the hand-over database, so replicas share them and the figures of a
period are one scan of a few narrow rows, never of every event:

- ``conversation_insights``: one row of facts per conversation (times and
  counts, no text), kept as the Rasa server saves it (``insights/keeper.py``),
  with a few facts of its hand-overs and ratings copied in
  (``insights/sync.py``);
- ``handover_insights``: one row per hand-over: its conversation's first day,
  its reason, its times and what the client was told about who could join
  (``insights/sync.py``);
- ``insights_sync``: how far those copies have caught up with the hand-over
  and rating tables.
"""

from __future__ import annotations

import threading
from typing import Set

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from handover.schema import add_missing_columns, handovers

metadata = sa.MetaData()
_Time = sa.DateTime(timezone=True)

conversation_insights = sa.Table(
    "conversation_insights",
    metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("started_at", _Time, nullable=False),  # the client's first message
    sa.Column("started_day", sa.String(10), nullable=False),  # its UTC day, YYYY-MM-DD
    sa.Column("last_event_at", sa.Float, nullable=False),  # Rasa's timestamp of the last event counted
    sa.Column("last_client_at", _Time),
    sa.Column("last_answer_at", _Time),  # a script or a help link sent
    sa.Column("last_unanswered_at", _Time),  # a fallback or a clarification
    sa.Column("thanked_at", _Time),  # the client thanked or said goodbye after an answer
    sa.Column("messages", sa.Integer, nullable=False, default=0),
    sa.Column("answers", sa.Integer, nullable=False, default=0),
    sa.Column("fallbacks", sa.Integer, nullable=False, default=0),
    sa.Column("clarifications", sa.Integer, nullable=False, default=0),
    sa.Column("macros", sa.Text, nullable=False, default="{}"),  # {"macro": {"scripts": n, "links": n}}
    # copied from the hand-overs and the ratings (insights/sync.py)
    sa.Column("ho_count", sa.Integer, nullable=False, default=0),
    sa.Column("ho_resolved", sa.Integer, nullable=False, default=0),
    sa.Column("ho_last_status", sa.String(16)),
    sa.Column("ho_last_outcome", sa.String(16)),
    sa.Column("ho_last_created_at", _Time),
    sa.Column("ho_last_notified_at", _Time),
    sa.Column("ho_last_claimed_at", _Time),  # an agent held the last hand-over (empty when waiting or released)
    sa.Column("rt_count", sa.Integer, nullable=False, default=0),
    sa.Column("rt_helpful", sa.Integer, nullable=False, default=0),
    sa.Column("rt_answers", sa.Integer, nullable=False, default=0),
    sa.Column("rt_last_answer_helpful", sa.Boolean),
    sa.Index("ix_conversation_insights_day", "started_day"),
)

handover_insights = sa.Table(
    "handover_insights",
    metadata,
    sa.Column("handover_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("started_day", sa.String(10), nullable=False),  # the conversation's
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("created_at", _Time, nullable=False),
    sa.Column("first_claimed_at", _Time),
    sa.Column("resolved_at", _Time),
    sa.Column("notified", sa.Integer, nullable=False, default=0),
    sa.Column("availability", sa.String(16)),  # what the client was told (handover/announce.py); none before
    sa.Index("ix_handover_insights_day", "started_day"),
)

insights_sync = sa.Table(
    "insights_sync",
    metadata,
    sa.Column("source", sa.String(32), primary_key=True),
    sa.Column("caught_up_to", _Time, nullable=False),
)

# the hand-overs of one conversation, for the copies (the table's own indexes do not serve it)
HANDOVERS_BY_CONVERSATION = sa.Index("ix_handovers_conversation", handovers.c.conversation_id, handovers.c.id)

_ready: Set[int] = set()
_lock = threading.Lock()


def ensure(engine: Engine) -> None:
    """Create the tables and indexes once per engine (nothing is dropped)."""
    with _lock:
        if id(engine) in _ready:
            return
        metadata.create_all(engine)
        add_missing_columns(engine, metadata)  # a table of an earlier version gains its new columns
        HANDOVERS_BY_CONVERSATION.create(engine, checkfirst=True)
        _ready.add(id(engine))
