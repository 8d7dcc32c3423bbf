"""The three reads behind the figures, each aggregated by the database.

Each reads one narrow table of ``insights/schema.py`` by the indexed day its
conversation started, and groups, so the answer is a few thousand rows
however many conversations there are:

- ``conversation_groups``: conversations counted by day, outcome (decided
  here, as ``insights/outcomes.py`` describes), how the last hand-over ended,
  the yes/no facts the rates need, and the macros sent; ratings summed;
- ``handover_groups``: hand-overs by day and reason;
- ``handover_times``: each hand-over's time to its first claim and to its
  resolution (the percentiles need the values themselves);
- ``handover_availability``: hand-overs by day and what the client was told
  (agents online, nobody online, outside hours).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, List

import sqlalchemy as sa

from insights import outcomes as oc
from insights.period import Period
from insights.schema import conversation_insights as c
from insights.schema import handover_insights as hi

FLAG_AGENT, FLAG_FALLBACK, FLAG_CLARIFICATION, FLAG_OFFERED, FLAG_RATED = 1, 2, 4, 8, 16


def _days(column: Any, period: Period) -> Any:
    return sa.and_(column >= period.first_day.isoformat(), column <= period.last_day.isoformat())


def outcome_of(cutoff: datetime) -> Any:
    """The outcome of a conversation row, as of ``cutoff`` (now less the window)."""
    handed = c.c.ho_count > 0
    waiting = sa.and_(handed, c.c.ho_last_status == "waiting")
    no_answer_rating = c.c.rt_answers == 0
    ended_on_answer = sa.and_(
        c.c.last_answer_at.is_not(None),
        sa.or_(c.c.last_unanswered_at.is_(None), c.c.last_unanswered_at < c.c.last_answer_at),
    )
    # the client ended the chat before any agent held it: it left while waiting, not handed over
    left_waiting = sa.and_(handed, c.c.ho_last_outcome == oc.ENDED_CLIENT_LEFT, c.c.ho_last_claimed_at.is_(None))
    return sa.case(
        (sa.and_(left_waiting, c.c.ho_last_notified_at.is_not(None)), oc.NOBODY_AVAILABLE),
        (left_waiting, oc.ABANDONED),
        (sa.and_(handed, c.c.ho_last_status == "resolved"), oc.HANDED_OVER),
        (sa.and_(waiting, c.c.ho_last_notified_at.is_not(None)), oc.NOBODY_AVAILABLE),
        (sa.and_(waiting, c.c.ho_last_created_at <= cutoff), oc.ABANDONED),
        (handed, oc.HANDED_OVER),
        (c.c.rt_last_answer_helpful.is_(True), oc.CONTAINED_CONFIRMED),
        (
            sa.and_(no_answer_rating, c.c.last_answer_at.is_not(None), c.c.thanked_at.is_not(None)),
            oc.CONTAINED_CONFIRMED,
        ),
        (sa.func.coalesce(c.c.last_client_at, c.c.started_at) > cutoff, oc.IN_PROGRESS),
        (sa.and_(ended_on_answer, no_answer_rating), oc.CONTAINED_ASSUMED),
        else_=oc.ABANDONED,
    )


def conversation_groups(conn: Any, period: Period, cutoff: datetime) -> List[Any]:
    offered = sa.or_(c.c.last_answer_at.is_not(None), c.c.ho_resolved > 0, c.c.rt_count > 0)
    flags = (  # one small number for five yes/no keys: grouping by it is cheaper than by five
        sa.case((c.c.ho_count > 0, FLAG_AGENT), else_=0)
        + sa.case((c.c.fallbacks > 0, FLAG_FALLBACK), else_=0)
        + sa.case((c.c.clarifications > 0, FLAG_CLARIFICATION), else_=0)
        + sa.case((offered, FLAG_OFFERED), else_=0)
        + sa.case((c.c.rt_count > 0, FLAG_RATED), else_=0)
    )
    keys = [
        c.c.started_day,
        outcome_of(cutoff),
        sa.case((c.c.ho_last_status == "resolved", c.c.ho_last_outcome), else_=None),
        flags,
        c.c.macros,
    ]
    query = (
        sa.select(*keys, sa.func.count(), sa.func.sum(c.c.rt_count), sa.func.sum(c.c.rt_helpful))
        .where(_days(c.c.started_day, period))
        .group_by(*keys)
    )
    return conn.execute(query).all()


def handover_groups(conn: Any, period: Period) -> List[Any]:
    query = (
        sa.select(
            hi.c.started_day,
            hi.c.reason,
            sa.func.count(sa.distinct(hi.c.conversation_id)),
            sa.func.count(),
            sa.func.sum(hi.c.notified),
        )
        .where(_days(hi.c.started_day, period))
        .group_by(hi.c.started_day, hi.c.reason)
    )
    return conn.execute(query).all()


def handover_times(conn: Any, period: Period) -> List[Any]:
    query = sa.select(hi.c.started_day, hi.c.created_at, hi.c.first_claimed_at, hi.c.resolved_at).where(
        _days(hi.c.started_day, period), sa.or_(hi.c.first_claimed_at.is_not(None), hi.c.resolved_at.is_not(None))
    )
    return conn.execute(query).all()


def handover_availability(conn: Any, period: Period) -> List[Any]:
    query = (
        sa.select(hi.c.started_day, hi.c.availability, sa.func.count())
        .where(_days(hi.c.started_day, period))
        .group_by(hi.c.started_day, hi.c.availability)
    )
    return conn.execute(query).all()
