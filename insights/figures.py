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

from handover.records import AVAILABILITIES
from handover.schema import Database, suggestion_feedback
from insights import outcomes as oc
from insights import queries, sync
from insights.period import Period
from insights.schema import ensure

SUGGESTION_KINDS = ("sent_as_is", "edited", "other_macro", "ignored")
AVAILABILITY_UNKNOWN = "unknown"  # hand-overs from before presence and working hours
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
    """The figures of one bucket (or of the whole period), added up from the grouped reads."""

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
        self.by_availability = dict.fromkeys((*AVAILABILITIES, AVAILABILITY_UNKNOWN), 0)

    def add_group(self, row: Any, macros: Dict[str, Dict[str, int]]) -> None:
        """One row of ``queries.conversation_groups``: ``n`` conversations alike."""
        _, outcome, ended, flags, _, n, ratings, helpful = row
        self.conversations += n
        self.outcomes[outcome] += n
        if outcome == oc.HANDED_OVER:
            self.endings[ended or oc.ENDED_OPEN] += n
        agent = bool(flags & queries.FLAG_AGENT)
        self.with_fallback += n if flags & queries.FLAG_FALLBACK else 0
        self.with_clarification += n if flags & queries.FLAG_CLARIFICATION else 0
        for macro, sent in macros.items():
            entry = self.macros.setdefault(macro, {"scripts": 0, "links": 0})
            entry["scripts"] += sent.get("scripts", 0) * n
            entry["links"] += sent.get("links", 0) * n
        self.agent_handled += n if agent else 0
        csat = self.csat["agent" if agent else "bot_only"]
        csat["offered"] += n if flags & queries.FLAG_OFFERED else 0
        csat["rated"] += n if flags & queries.FLAG_RATED else 0
        csat["ratings"] += int(ratings or 0)
        csat["helpful"] += int(helpful or 0)

    def add_handovers(self, reason: str, conversations: int, count: int, notified: int) -> None:
        self.by_reason[reason] += conversations
        self.handovers += count
        self.passed_limit += int(notified or 0)

    def add_times(self, created: datetime, claimed: Optional[datetime], resolved: Optional[datetime]) -> None:
        if claimed is not None:
            self.to_claim.append((claimed - created).total_seconds())
        if resolved is not None:
            self.to_resolve.append((resolved - created).total_seconds())

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
            "handovers_by_availability": dict(self.by_availability),
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
    sync.catch_up(engine)
    f = suggestion_feedback
    with engine.connect() as conn:
        groups = queries.conversation_groups(conn, period, now - window)
        by_reason = queries.handover_groups(conn, period)
        times = queries.handover_times(conn, period)
        availability = queries.handover_availability(conn, period)
        feedback_rows = conn.execute(
            sa.select(f.c.handover_id, f.c.at, f.c.action, f.c.shown_rank)
            .where(f.c.at >= period.start, f.c.at < period.end)
            .order_by(f.c.id)
        ).all()

    total = Tally()
    series: Dict[date, Tally] = {bucket: Tally() for bucket in period.buckets()}
    buckets: Dict[Any, Tally] = {}

    def bucket(day: Any) -> Tally:
        if day not in buckets:
            as_date = day if isinstance(day, date) else date.fromisoformat(str(day))
            buckets[day] = series[period.bucket_of(datetime.combine(as_date, datetime.min.time(), timezone.utc))]
        return buckets[day]

    parsed: Dict[str, Dict[str, Dict[str, int]]] = {}
    for row in groups:
        text = row[4] or "{}"
        if text not in parsed:
            parsed[text] = json.loads(text)
        total.add_group(row, parsed[text])
        bucket(row[0]).add_group(row, parsed[text])
    for day, reason, conversations, count, notified in by_reason:
        total.add_handovers(reason, conversations, count, notified)
        bucket(day).add_handovers(reason, conversations, count, notified)
    for day, created, claimed, resolved in times:
        created, claimed, resolved = _utc(created), _utc(claimed), _utc(resolved)
        total.add_times(created, claimed, resolved)  # type: ignore[arg-type]  # NOT NULL
        bucket(day).add_times(created, claimed, resolved)  # type: ignore[arg-type]
    for day, told, count in availability:
        kind = told if told in total.by_availability else AVAILABILITY_UNKNOWN
        total.by_availability[kind] += count
        bucket(day).by_availability[kind] += count
    for at, kind in suggestion_uses(feedback_rows):
        total.suggestions[kind] += 1
        series[period.bucket_of(at)].suggestions[kind] += 1
    return {
        "period": period.to_dict(),
        "window_hours": round(window.total_seconds() / 3600, 2),
        "generated_at": now.isoformat(),
        "totals": total.figures(),
        "series": [{"start": b.isoformat(), **tally.figures()} for b, tally in series.items()],
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
