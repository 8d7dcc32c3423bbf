"""The figures of a period, overall and per day or week, from four small reads.

Conversations are counted in the day (or week) their client first wrote;
their hand-overs and ratings go with them, wherever in time those happened,
so a conversation that spans days or several hand-overs is counted once.
Suggestion feedback is counted when it was given. Every read is bounded by
the period: the summary rows by their indexed start, the rest joined to them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from handover.schema import Database, client_ratings, handover_events, handovers, suggestion_feedback
from insights import outcomes as oc
from insights.period import Period
from insights.schema import conversation_insights, ensure

SUGGESTION_KINDS = ("sent_as_is", "edited", "other_macro", "ignored")
SAME_REPLY = timedelta(seconds=10)  # feedback rows of one reply are written within moments


def _utc(value: Optional[datetime]) -> Optional[datetime]:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _rate(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _seconds(values: List[float]) -> Dict[str, Any]:
    p50, p90 = oc.percentile(values, 0.5), oc.percentile(values, 0.9)
    return {
        "count": len(values),
        "p50": None if p50 is None else round(p50, 1),
        "p90": None if p90 is None else round(p90, 1),
    }


class Tally:
    """The figures of one bucket (or of the whole period) as conversations are added."""

    def __init__(self) -> None:
        self.conversations = 0
        self.outcomes = dict.fromkeys(oc.OUTCOMES, 0)
        self.endings = dict.fromkeys(oc.ENDINGS, 0)
        self.agent_handled = 0
        self.by_reason: Dict[str, int] = defaultdict(int)
        self.with_fallback = 0
        self.with_clarification = 0
        self.macros: Dict[str, Dict[str, int]] = {}
        self.to_claim: List[float] = []
        self.to_resolve: List[float] = []
        self.handovers = 0
        self.passed_limit = 0
        self.csat = {group: {"ratings": 0, "helpful": 0, "rated": 0, "offered": 0} for group in ("bot_only", "agent")}
        self.suggestions = dict.fromkeys(SUGGESTION_KINDS, 0)

    def add(self, conv: oc.Conversation, macros: Dict[str, Dict[str, int]], hos: List[oc.HandOverFacts],
            ratings: List[oc.Rating], outcome: str, ended: Optional[str]) -> None:  # fmt: skip
        self.conversations += 1
        self.outcomes[outcome] += 1
        if ended in self.endings:
            self.endings[ended] += 1
        self.with_fallback += conv.fallbacks > 0
        self.with_clarification += conv.clarifications > 0
        for macro, sent in macros.items():
            entry = self.macros.setdefault(macro, {"scripts": 0, "links": 0})
            entry["scripts"] += sent.get("scripts", 0)
            entry["links"] += sent.get("links", 0)
        for reason in {h.reason for h in hos}:
            self.by_reason[reason] += 1
        for h in hos:
            self.handovers += 1
            self.passed_limit += h.client_notified_at is not None
            if h.first_claimed_at is not None:
                self.to_claim.append((h.first_claimed_at - h.created_at).total_seconds())
            if h.resolved_at is not None:
                self.to_resolve.append((h.resolved_at - h.created_at).total_seconds())
        group = "agent" if hos else "bot_only"
        self.agent_handled += bool(hos)
        csat = self.csat[group]
        offered = conv.last_answer_at is not None or any(h.resolved_at is not None for h in hos)
        csat["offered"] += offered or bool(ratings)
        csat["rated"] += bool(ratings)
        csat["ratings"] += len(ratings)
        csat["helpful"] += sum(r.helpful for r in ratings)

    def figures(self) -> Dict[str, Any]:
        n = self.conversations
        both = {key: self.csat["bot_only"][key] + self.csat["agent"][key] for key in self.csat["agent"]}
        return {
            "conversations": n,
            "outcomes": dict(self.outcomes),
            "handed_over_ended": dict(self.endings),
            "containment": {
                "confirmed": _rate(self.outcomes[oc.CONTAINED_CONFIRMED], n),
                "assumed": _rate(self.outcomes[oc.CONTAINED_ASSUMED], n),
                "total": _rate(self.outcomes[oc.CONTAINED_CONFIRMED] + self.outcomes[oc.CONTAINED_ASSUMED], n),
            },
            "bot_only": n - self.agent_handled,
            "agent_handled": self.agent_handled,
            "handover_rate": _rate(self.agent_handled, n),
            "handover_rate_by_reason": {r: _rate(c, n) for r, c in sorted(self.by_reason.items())},
            "fallback_rate": _rate(self.with_fallback, n),
            "clarification_rate": _rate(self.with_clarification, n),
            "macros": {m: self.macros[m] for m in sorted(self.macros)},
            "handovers": self.handovers,
            "passed_waiting_limit": self.passed_limit,
            "time_to_claim_seconds": _seconds(self.to_claim),
            "time_to_resolve_seconds": _seconds(self.to_resolve),
            "suggestions": dict(self.suggestions),
            "csat": {
                "all": _csat(both),
                "bot_only": _csat(self.csat["bot_only"]),
                "agent_handled": _csat(self.csat["agent"]),
            },
        }


def _csat(c: Dict[str, int]) -> Dict[str, Any]:
    return {
        "score": _rate(c["helpful"], c["ratings"]),
        "ratings": c["ratings"],
        "helpful": c["helpful"],
        "response_rate": _rate(c["rated"], c["offered"]),
    }


def insights(db: Database, period: Period, now: datetime, window: timedelta) -> Dict[str, Any]:
    """The figures of ``period``: ``totals`` and one entry of ``series`` per day or week."""
    engine = db.engine
    ensure(engine)
    c = conversation_insights
    in_period = sa.and_(c.c.started_at >= period.start, c.c.started_at < period.end)
    with engine.connect() as conn:
        conv_rows = conn.execute(
            sa.select(c.c.conversation_id, c.c.started_at, c.c.last_client_at, c.c.last_answer_at,
                      c.c.last_unanswered_at, c.c.thanked_at, c.c.fallbacks, c.c.clarifications,
                      c.c.macros).where(in_period)  # fmt: skip
        ).all()
        h = handovers
        first_claim = (
            sa.select(handover_events.c.handover_id, sa.func.min(handover_events.c.at).label("at"))
            .where(handover_events.c.kind == "claimed")
            .group_by(handover_events.c.handover_id)
            .subquery()
        )
        ho_rows = conn.execute(
            sa.select(h.c.id, h.c.conversation_id, h.c.reason, h.c.status, h.c.created_at, first_claim.c.at,
                      h.c.resolved_at, h.c.outcome, h.c.client_notified_at)  # fmt: skip
            .select_from(h.join(c, c.c.conversation_id == h.c.conversation_id))
            .outerjoin(first_claim, first_claim.c.handover_id == h.c.id)
            .where(in_period)
        ).all()
        r = client_ratings
        rating_rows = conn.execute(
            sa.select(r.c.conversation_id, r.c.step, r.c.helpful, r.c.rated_at)
            .select_from(r.join(c, c.c.conversation_id == r.c.conversation_id))
            .where(in_period)
        ).all()
        f = suggestion_feedback
        feedback_rows = conn.execute(
            sa.select(f.c.handover_id, f.c.at, f.c.action, f.c.shown_rank)
            .where(f.c.at >= period.start, f.c.at < period.end)
            .order_by(f.c.id)
        ).all()

    hos_of: Dict[str, List[oc.HandOverFacts]] = defaultdict(list)
    for row in ho_rows:
        hos_of[row[1]].append(
            oc.HandOverFacts(row[0], row[1], row[2], row[3], _utc(row[4]), _utc(row[5]),  # type: ignore[arg-type]
                             _utc(row[6]), row[7], _utc(row[8]))  # fmt: skip
        )
    ratings_of: Dict[str, List[oc.Rating]] = defaultdict(list)
    for row in rating_rows:
        ratings_of[row[0]].append(oc.Rating(row[0], row[1], bool(row[2]), _utc(row[3])))  # type: ignore[arg-type]

    total = Tally()
    series: Dict[date, Tally] = {bucket: Tally() for bucket in period.buckets()}
    for row in conv_rows:
        conv = oc.Conversation(row[0], _utc(row[1]), _utc(row[2]) or _utc(row[1]), _utc(row[3]),  # type: ignore[arg-type]
                               _utc(row[4]), _utc(row[5]), row[6], row[7])  # fmt: skip
        macros = json.loads(row[8]) if row[8] and row[8] != "{}" else {}
        hos, ratings = hos_of.get(conv.conversation_id, []), ratings_of.get(conv.conversation_id, [])
        outcome, ended = oc.outcome_of(conv, hos, ratings, now, window)
        total.add(conv, macros, hos, ratings, outcome, ended)
        series[period.bucket_of(conv.started_at)].add(conv, macros, hos, ratings, outcome, ended)
    for at, kind in suggestion_uses(feedback_rows):
        total.suggestions[kind] += 1
        series[period.bucket_of(at)].suggestions[kind] += 1
    return {
        "period": period.to_dict(),
        "window_hours": round(window.total_seconds() / 3600, 2),
        "generated_at": now.isoformat(),
        "totals": total.figures(),
        "series": [{"start": bucket.isoformat(), **tally.figures()} for bucket, tally in series.items()],
    }


def suggestion_uses(rows: List[Any]) -> List[tuple[datetime, str]]:
    """What became of each reply's top suggestion: sent as is, edited, another macro used, ignored.

    ``rows`` are feedback rows with their rank (handover_id, at, action, rank),
    in the order they were written; the rows of one reply follow each other.
    """
    uses: List[tuple[datetime, str]] = []
    for index, (handover_id, at, action, rank) in enumerate(rows):
        if rank != 0:
            continue
        at = _utc(at)
        if action != "ignored":
            uses.append((at, action))
            continue
        same_reply = []
        for other in rows[index + 1 :]:
            if other[0] != handover_id or other[3] == 0 or _utc(other[1]) - at > SAME_REPLY:
                break
            same_reply.append(other[2])
        uses.append((at, "other_macro" if any(a != "ignored" for a in same_reply) else "ignored"))
    return uses
