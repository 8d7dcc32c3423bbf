"""Many conversations of varied outcomes for the insights benchmark and the Insights page.

Written straight into the summary rows and the hand-over tables, as the
server would have kept them over ``days`` days: about a third contained,
a fifth handed over, some abandoned or left waiting. Reproducible from a seed.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from handover.schema import Database, client_ratings, handover_events, handovers, suggestion_feedback
from insights.schema import conversation_insights, ensure

REASONS = ("client_asked_for_person", "client_accepted_offer", "message_still_unclear")
MACROS = ("toolkit_specific_concern", "toolkit_what_if", "toolkit_how_to_pause")
CHUNK = 5000


def seed(db: Database, conversations: int, days: int, now: datetime, seed_value: int = 15) -> None:
    """Write ``conversations`` conversations that started within the ``days`` days before ``now``."""
    rng = random.Random(seed_value)  # noqa: S311 - reproducible test data, not secrets
    engine = db.engine
    ensure(engine)
    with engine.connect() as conn:
        next_id = (conn.execute(sa.select(sa.func.max(handovers.c.id))).scalar() or 0) + 1
    rows: Dict[str, List[Dict[str, Any]]] = {"conv": [], "ho": [], "ev": [], "rate": [], "fb": []}
    for _ in range(conversations):
        # busier in the day than at night, and on weekdays
        start = now - timedelta(days=rng.random() * days)
        if start.hour < 7 and rng.random() < 0.6:
            start += timedelta(hours=8)
        if start > now - timedelta(minutes=2):
            start = now - timedelta(minutes=2 + rng.random() * 60)
        next_id = _conversation(rng, rows, start, now, next_id)
        if len(rows["conv"]) >= CHUNK:
            _flush(engine, rows)
    _flush(engine, rows)


def _conversation(rng: random.Random, rows: Dict[str, List[Dict[str, Any]]], start: datetime, now: datetime,
                  next_id: int) -> int:  # fmt: skip
    cid = uuid.UUID(int=rng.getrandbits(128)).hex
    kind = rng.choices(["answered", "thanked", "fallback", "handover", "nobody"], [48, 14, 14, 20, 4])[0]
    macro = rng.choice(MACROS)
    at = start + timedelta(seconds=rng.uniform(1, 30))
    conv: Dict[str, Any] = {
        "conversation_id": cid, "started_at": start, "started_day": start.date().isoformat(),
        "last_event_at": at.timestamp(), "last_client_at": at,
        "last_answer_at": None, "last_unanswered_at": None, "thanked_at": None, "messages": 1, "answers": 0,
        "fallbacks": 0, "clarifications": 0, "macros": "{}",
    }  # fmt: skip
    if kind in ("answered", "thanked", "handover") and rng.random() < 0.9:
        conv.update(last_answer_at=at, answers=1, macros=json.dumps({macro: {"scripts": 1, "links": 1}}))
        if kind == "thanked":
            conv.update(thanked_at=at + timedelta(seconds=20), last_client_at=at + timedelta(seconds=20), messages=2)
        elif rng.random() < 0.25:
            rows["rate"].append(_rating(cid, f"answer:{int(at.timestamp() * 1000)}", rng.random() < 0.8, at, None))
    if kind == "fallback":
        conv.update(last_unanswered_at=at, fallbacks=int(rng.random() < 0.5))
        conv["clarifications"] = 1 - conv["fallbacks"]
    if kind in ("handover", "nobody"):
        created = at + timedelta(seconds=rng.uniform(5, 60))
        conv.update(last_client_at=created, messages=conv["messages"] + 1)
        claimed = created + timedelta(seconds=rng.lognormvariate(5.0, 0.8)) if kind == "handover" else None
        resolved = claimed + timedelta(seconds=rng.lognormvariate(6.3, 0.7)) if claimed else None
        if resolved and resolved > now:
            resolved = None
        if claimed and claimed > now:
            claimed = None
        notified = (
            created + timedelta(seconds=600) if kind == "nobody" and created + timedelta(seconds=600) < now else None
        )
        status = "resolved" if resolved else "claimed" if claimed else "waiting"
        rows["ho"].append({
            "id": next_id, "conversation_id": cid, "status": status, "reason": rng.choice(REASONS), "transcript": "[]",
            "created_at": created, "updated_at": resolved or claimed or created,
            "claimed_by": "alice" if claimed else None, "claimed_at": claimed, "resolved_at": resolved,
            "outcome": rng.choice(["resumed", "resumed", "closed"]) if resolved else None,
            "client_notified_at": notified, "follow_up": "email" if notified else None,
        })  # fmt: skip
        for step, when in (("created", created), ("claimed", claimed), ("resolved", resolved)):
            if when:
                rows["ev"].append({"handover_id": next_id, "at": when, "actor": "alice", "kind": step, "detail": "{}"})
        if claimed:
            top = rng.choices(["sent_as_is", "edited", "ignored"], [55, 25, 20])[0]
            rows["fb"].append({"at": claimed + timedelta(seconds=40), "agent": "alice", "conversation_id": cid,
                               "handover_id": next_id, "macro_id": macro, "action": top, "shown_rank": 0})  # fmt: skip
        if resolved and rng.random() < 0.4:
            rows["rate"].append(_rating(cid, f"resolution:{next_id}", rng.random() < 0.85, resolved, next_id))
        next_id += 1
    rows["conv"].append(conv)
    return next_id


def _rating(cid: str, step: str, helpful: bool, answered_at: datetime, handover_id: Optional[int]) -> Dict[str, Any]:
    """A client's rating of an answer or a resolution, given 30 s after it."""
    return {
        "conversation_id": cid,
        "step": step,
        "helpful": helpful,
        "comment": None,
        "rated_at": answered_at + timedelta(seconds=30),
        "handover_id": handover_id,
    }


def _flush(engine: Any, rows: Dict[str, List[Dict[str, Any]]]) -> None:
    tables = {"conv": conversation_insights, "ho": handovers, "ev": handover_events, "rate": client_ratings,
              "fb": suggestion_feedback}  # fmt: skip
    with engine.begin() as conn:
        for key in ("conv", "ho", "ev", "rate", "fb"):
            if rows[key]:
                conn.execute(tables[key].insert(), rows[key])
                rows[key].clear()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('handovers', 'id'), (SELECT max(id) FROM handovers))")
            )
