"""Agents' internal notes on a hand-over: for the team, never sent to the client.

Masked like every stored text (e-mail, phone and card numbers); the desk's
routes are ``desk/notes.py``.
"""

from __future__ import annotations

from typing import Any, Dict, List

from handover.records import aware, now
from handover.schema import Database, handover_notes
from privacy.masking import mask_text


class NoteLog:
    """Notes, in the hand-over database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, handover_id: int, agent: str, text: str) -> Dict[str, Any]:
        """Keep a note (masked) and return it as the desk shows it."""
        at = now()
        masked = mask_text(text)
        with self._db.engine.begin() as conn:
            new_id = conn.execute(
                handover_notes.insert().values(handover_id=handover_id, at=at, agent=agent, text=masked)
            ).inserted_primary_key[0]
        return {"id": new_id, "handover_id": handover_id, "at": at.isoformat(), "agent": agent, "text": masked}

    def of(self, handover_id: int) -> List[Dict[str, Any]]:
        """The hand-over's notes, oldest first."""
        query = handover_notes.select().where(handover_notes.c.handover_id == handover_id).order_by(handover_notes.c.id)
        with self._db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {
                "id": r["id"],
                "handover_id": r["handover_id"],
                "at": _iso(r["at"]),
                "agent": r["agent"],
                "text": r["text"],
            }
            for r in rows
        ]


def _iso(value: Any) -> Any:
    at = aware(value)
    return at.isoformat() if at is not None else None
