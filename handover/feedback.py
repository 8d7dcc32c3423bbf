"""What agents did with the macros agent assist suggested: sent as is, edited, ignored."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from handover.records import FEEDBACK_ACTIONS, aware, now
from handover.schema import Database, suggestion_feedback


class FeedbackLog:
    """Suggestion feedback, in the hand-over database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def record(
        self,
        agent: str,
        macro_id: str,
        action: str,
        conversation_id: Optional[str] = None,
        handover_id: Optional[int] = None,
        confidence: Optional[float] = None,
        intent: Optional[str] = None,
        shown_rank: Optional[int] = None,
    ) -> None:
        if action not in FEEDBACK_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FEEDBACK_ACTIONS)}, not {action!r}")
        with self._db.engine.begin() as conn:
            conn.execute(
                suggestion_feedback.insert().values(
                    at=now(),
                    agent=agent,
                    conversation_id=conversation_id,
                    handover_id=handover_id,
                    macro_id=macro_id,
                    action=action,
                    confidence=confidence,
                    intent=intent,
                    shown_rank=shown_rank,
                )
            )

    def summary(self) -> Dict[str, Dict[str, int]]:
        """How often each suggested macro was sent as is, edited or ignored."""
        table = suggestion_feedback
        query = sa.select(table.c.macro_id, table.c.action, sa.func.count()).group_by(table.c.macro_id, table.c.action)
        counts: Dict[str, Dict[str, int]] = {}
        with self._db.engine.connect() as conn:
            for macro_id, action, count in conn.execute(query):
                counts.setdefault(macro_id, dict.fromkeys(FEEDBACK_ACTIONS, 0))[action] = count
        return counts

    def entries(self, handover_id: Optional[int] = None) -> List[Dict[str, Any]]:
        """Every entry, oldest first (of one hand-over, when given)."""
        query = suggestion_feedback.select().order_by(suggestion_feedback.c.id)
        if handover_id is not None:
            query = query.where(suggestion_feedback.c.handover_id == handover_id)
        with self._db.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            row["at"] = aware(row["at"]).isoformat()  # type: ignore[union-attr]  # the column is NOT NULL
        return rows
