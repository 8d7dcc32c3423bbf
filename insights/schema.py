"""The summary table insights read: one small row of facts per conversation.

Kept by the Rasa server as it saves each conversation (``insights/keeper.py``),
in the hand-over database, so replicas share it and the figures can join it
with the hand-overs and the client ratings. It holds times and counts only,
no text of the conversation (the tracker store keeps the conversation itself).
"""

from __future__ import annotations

import threading
from typing import Set

import sqlalchemy as sa
from sqlalchemy.engine import Engine

metadata = sa.MetaData()
_Time = sa.DateTime(timezone=True)

conversation_insights = sa.Table(
    "conversation_insights",
    metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("started_at", _Time, nullable=False),  # the client's first message
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
    sa.Index("ix_conversation_insights_started", "started_at"),
)

_ready: Set[int] = set()
_lock = threading.Lock()


def ensure(engine: Engine) -> None:
    """Create the table (and its index) once per engine."""
    with _lock:
        if id(engine) in _ready:
            return
        metadata.create_all(engine)
        _ready.add(id(engine))
