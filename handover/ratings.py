"""Client ratings: "Did this help?" after an answer of the bot or an agent's resolution.

One row per rated step of a conversation (``client_ratings``): rating the same
step again replaces the row by a new one (a new id). A step is ``answer:<ms>`` (a script or help link
the bot sent, by the time it was sent) or ``resolution:<hand-over id>``. The
comment is masked like hand-over records. ``unhelpful_ratings`` lists the
"didn't help" ones, newest first, for the review of conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from handover.records import aware, now
from handover.schema import Database, client_ratings
from privacy.masking import mask_text

MAX_COMMENT_CHARS = 500
STEP_ANSWER = "answer"
STEP_RESOLUTION = "resolution"
STEP_KINDS = (STEP_ANSWER, STEP_RESOLUTION)


@dataclass(frozen=True)
class ClientRating:
    conversation_id: str
    step: str
    helpful: bool
    comment: Optional[str]
    rated_at: datetime
    handover_id: Optional[int] = None

    @property
    def kind(self) -> str:
        return self.step.split(":", 1)[0]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "step": self.step,
            "kind": self.kind,
            "helpful": self.helpful,
            "comment": self.comment,
            "rated_at": self.rated_at.isoformat(),
            "handover_id": self.handover_id,
        }


class RatingLog:
    """Client ratings, in the hand-over database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def rate(
        self,
        conversation_id: str,
        step: str,
        helpful: bool,
        comment: Optional[str] = None,
        handover_id: Optional[int] = None,
        at: Optional[datetime] = None,
    ) -> ClientRating:
        """Store the rating of ``step``, or change it; returns it as stored."""
        if step.split(":", 1)[0] not in STEP_KINDS:
            raise ValueError(f"a step is one of {', '.join(k + ':<ref>' for k in STEP_KINDS)}, not {step!r}")
        kind, _, ref = step.partition(":")
        if handover_id is None and kind == STEP_RESOLUTION and ref.isdigit():
            handover_id = int(ref)
        text = (comment or "").strip()[:MAX_COMMENT_CHARS] or None
        values: Dict[str, Any] = {
            "helpful": bool(helpful),
            "comment": mask_text(text) if text else None,
            "rated_at": at or now(),
            "handover_id": handover_id,
        }
        table = client_ratings
        where = sa.and_(table.c.conversation_id == conversation_id, table.c.step == step)
        try:
            with self._db.engine.begin() as conn:
                # a change is a new row (a new id), so readers that follow ids see it as they see a new rating
                conn.execute(table.delete().where(where))
                conn.execute(table.insert().values(conversation_id=conversation_id, step=step, **values))
        except IntegrityError:  # the same step rated at the same moment elsewhere: this one changes it
            with self._db.engine.begin() as conn:
                conn.execute(table.update().where(where).values(**values))
        return ClientRating(
            conversation_id, step, values["helpful"], values["comment"], values["rated_at"], handover_id
        )

    def of_conversation(self, conversation_id: str) -> List[ClientRating]:
        query = (
            client_ratings.select()
            .where(client_ratings.c.conversation_id == conversation_id)
            .order_by(client_ratings.c.rated_at, client_ratings.c.id)
        )
        with self._db.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]


def unhelpful_ratings(
    db: Database, since: Optional[datetime] = None, limit: Optional[int] = None
) -> List[ClientRating]:
    """The "didn't help" ratings, newest first (rated since ``since``, at most ``limit``)."""
    query = client_ratings.select().where(client_ratings.c.helpful.is_(False))
    if since is not None:
        query = query.where(client_ratings.c.rated_at >= since)
    query = query.order_by(client_ratings.c.rated_at.desc(), client_ratings.c.id.desc())
    if limit:
        query = query.limit(limit)
    with db.engine.connect() as conn:
        return [_from_row(r) for r in conn.execute(query).mappings()]


def _from_row(row: Any) -> ClientRating:
    return ClientRating(
        conversation_id=row["conversation_id"],
        step=row["step"],
        helpful=bool(row["helpful"]),
        comment=row["comment"],
        rated_at=aware(row["rated_at"]),  # type: ignore[arg-type]  # the column is NOT NULL
        handover_id=row["handover_id"],
    )
