"""Hand-overs waiting to be delivered to an external help desk, and their attempts.

A delivery is queued in the same transaction as the hand-over (``enqueue``
takes the open connection), so a hand-over is never stored without it. A
worker leases a due delivery before each attempt: of several replicas, one
sends it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handover.records import OutboxItem, aware, now
from handover.schema import Database, handover_outbox


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def due(self, limit: int = 20) -> List[OutboxItem]:
        query = (
            handover_outbox.select()
            .where(handover_outbox.c.delivered_at.is_(None), handover_outbox.c.next_attempt_at <= now())
            .order_by(handover_outbox.c.next_attempt_at, handover_outbox.c.id)
            .limit(limit)
        )
        with self._db.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]

    def lease(self, item: OutboxItem, seconds: float) -> bool:
        """Take ``item`` for one attempt (True for the one worker that wins it)."""
        with self._db.engine.begin() as conn:
            return bool(
                conn.execute(
                    handover_outbox.update()
                    .where(
                        handover_outbox.c.id == item.id,
                        handover_outbox.c.delivered_at.is_(None),
                        handover_outbox.c.next_attempt_at == item.next_attempt_at,
                    )
                    .values(next_attempt_at=now() + timedelta(seconds=seconds))
                ).rowcount
            )

    def mark_delivered(self, item_id: int) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(
                handover_outbox.update()
                .where(handover_outbox.c.id == item_id)
                .values(delivered_at=now(), attempts=handover_outbox.c.attempts + 1, last_error=None)
            )

    def mark_failed(self, item_id: int, error: str, retry_in: float) -> None:
        with self._db.engine.begin() as conn:
            conn.execute(
                handover_outbox.update()
                .where(handover_outbox.c.id == item_id)
                .values(
                    attempts=handover_outbox.c.attempts + 1,
                    last_error=error[:2000],
                    next_attempt_at=now() + timedelta(seconds=retry_in),
                )
            )

    def items(self, handover_id: Optional[int] = None) -> List[OutboxItem]:
        """Every delivery, oldest first (of one hand-over, when given)."""
        query = handover_outbox.select().order_by(handover_outbox.c.id)
        if handover_id is not None:
            query = query.where(handover_outbox.c.handover_id == handover_id)
        with self._db.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]


def has_deliveries(conn: Connection, handover_id: int) -> bool:
    """Whether the hand-over was queued for the help desk at all (inside the caller's transaction)."""
    query = sa.select(handover_outbox.c.id).where(handover_outbox.c.handover_id == handover_id).limit(1)
    return conn.execute(query).first() is not None


def enqueue(conn: Connection, handover_id: int, event: str, payload: Dict[str, Any], at: datetime) -> None:
    """Queue a delivery inside the caller's transaction."""
    delivery_id = str(uuid.uuid4())
    body = {"event": event, "delivery_id": delivery_id, **payload}
    conn.execute(
        handover_outbox.insert().values(
            delivery_id=delivery_id,
            handover_id=handover_id,
            event=event,
            payload=json.dumps(body, ensure_ascii=False, sort_keys=True),
            created_at=at,
            attempts=0,
            next_attempt_at=at,
        )
    )


def _from_row(row: Any) -> OutboxItem:
    data = {k: v for k, v in dict(row).items() if k != "created_at"}
    for key in ("next_attempt_at", "delivered_at"):
        data[key] = aware(data[key])
    return OutboxItem(**data)
