"""Copies of hand-over and rating facts into the insights tables, caught up on demand.

The figures of a period then read ``conversation_insights`` and
``handover_insights`` alone, without joining every hand-over and rating.
Every change of a hand-over sets its ``updated_at`` and every rating its
``rated_at``, so ``catch_up`` recomputes the copies of what changed since the
last catch-up (with a margin for transactions that committed late), from the
source rows: running it twice, or on two replicas at once, gives the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, List, Optional

import sqlalchemy as sa

from handover.records import OUTCOME_CLIENT_LEFT
from handover.schema import client_ratings, handover_events, handovers
from insights.schema import conversation_insights, handover_insights, insights_sync

MARGIN = timedelta(minutes=15)  # a change committed this much later than its time is still caught
EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
_c, _h, _r = conversation_insights, handovers, client_ratings


def _copied_values() -> dict:
    mine = _h.c.conversation_id == _c.c.conversation_id
    last_id = sa.select(sa.func.max(_h.c.id)).where(mine).correlate(_c).scalar_subquery()

    def of_last(column: Any) -> Any:
        return sa.select(column).where(_h.c.id == last_id).correlate(_c).scalar_subquery()

    by_agent = sa.or_(_h.c.outcome.is_(None), _h.c.outcome != OUTCOME_CLIENT_LEFT)
    rated = _r.c.conversation_id == _c.c.conversation_id
    answer = sa.func.substr(_r.c.step, 1, 7) == "answer:"  # not a LIKE: the planner keeps the conversation's index
    return {
        "ho_count": sa.select(sa.func.count()).where(mine).correlate(_c).scalar_subquery(),
        "ho_resolved": sa.select(sa.func.count())  # by an agent: a client who left was offered no rating
        .where(mine, _h.c.resolved_at.is_not(None), by_agent)
        .correlate(_c)
        .scalar_subquery(),
        "ho_last_status": of_last(_h.c.status),
        "ho_last_outcome": of_last(_h.c.outcome),
        "ho_last_created_at": of_last(_h.c.created_at),
        "ho_last_notified_at": of_last(_h.c.client_notified_at),
        "ho_last_claimed_at": of_last(_h.c.claimed_at),
        "rt_count": sa.select(sa.func.count()).where(rated).correlate(_c).scalar_subquery(),
        "rt_helpful": sa.select(sa.func.coalesce(sa.func.sum(sa.case((_r.c.helpful.is_(True), 1), else_=0)), 0))
        .where(rated)
        .correlate(_c)
        .scalar_subquery(),
        "rt_answers": sa.select(sa.func.count()).where(rated, answer).correlate(_c).scalar_subquery(),
        "rt_last_answer_helpful": sa.select(_r.c.helpful)
        .where(rated, answer)
        .order_by(_r.c.rated_at.desc(), _r.c.id.desc())
        .limit(1)
        .correlate(_c)
        .scalar_subquery(),
    }


def _copy_handovers(conn: Any, which: Any) -> None:
    """(Re)write the ``handover_insights`` rows of the hand-overs ``which`` selects (their ids)."""
    conn.execute(handover_insights.delete().where(handover_insights.c.handover_id.in_(which)))
    first_claim = (
        sa.select(sa.func.min(handover_events.c.at))
        .where(handover_events.c.handover_id == _h.c.id, handover_events.c.kind == "claimed")
        .scalar_subquery()
    )
    rows = (
        sa.select(
            _h.c.id,
            _h.c.conversation_id,
            _c.c.started_day,
            _h.c.reason,
            _h.c.created_at,
            first_claim,
            sa.case((_h.c.outcome == OUTCOME_CLIENT_LEFT, None), else_=_h.c.resolved_at),  # resolved by an agent
            sa.case((_h.c.client_notified_at.is_not(None), 1), else_=0),
            _h.c.availability,
        )  # fmt: skip
        .select_from(_h.join(_c, _c.c.conversation_id == _h.c.conversation_id))
        .where(_h.c.id.in_(which))
    )
    columns = ["handover_id", "conversation_id", "started_day", "reason", "created_at", "first_claimed_at",
               "resolved_at", "notified", "availability"]  # fmt: skip
    conn.execute(handover_insights.insert().from_select(columns, rows))


def refresh(conn: Any, conversation_ids: List[str]) -> None:
    """Copy the facts of these conversations now (a conversation's first save)."""
    conn.execute(_c.update().where(_c.c.conversation_id.in_(conversation_ids)).values(**_copied_values()))
    _copy_handovers(conn, sa.select(_h.c.id).where(_h.c.conversation_id.in_(conversation_ids)))


def _caught_up(conn: Any, source: str) -> Optional[datetime]:
    at = conn.execute(sa.select(insights_sync.c.caught_up_to).where(insights_sync.c.source == source)).scalar()
    return at.replace(tzinfo=timezone.utc) if at is not None and at.tzinfo is None else at


def _mark(conn: Any, source: str, at: Optional[datetime], before: Optional[datetime]) -> None:
    if at is None:
        return
    if before is None:
        conn.execute(insights_sync.insert().values(source=source, caught_up_to=at))
    else:
        conn.execute(insights_sync.update().where(insights_sync.c.source == source).values(caught_up_to=at))


def catch_up(engine: Any) -> None:
    """Bring the copies up to date with every hand-over and rating changed since last time."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # one catch-up at a time across replicas
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(15150015)"))
        for source, table, stamp in (("handovers", _h, _h.c.updated_at), ("ratings", _r, _r.c.rated_at)):
            before = _caught_up(conn, source)
            since = (before or EPOCH) - MARGIN
            newest = conn.execute(sa.select(sa.func.max(stamp))).scalar()
            if newest is None:
                continue
            changed = sa.select(table.c.conversation_id).where(stamp >= since)
            conn.execute(_c.update().where(_c.c.conversation_id.in_(changed)).values(**_copied_values()))
            if source == "handovers":
                _copy_handovers(conn, sa.select(_h.c.id).where(stamp >= since))
            newest = newest.replace(tzinfo=timezone.utc) if newest.tzinfo is None else newest
            _mark(conn, source, newest, before)
