"""Conversations of known outcomes for the insights tests, written as the server would.

Each conversation's events go through the summary keeper (as the Rasa server
saves them); hand-overs, their steps, ratings and suggestion feedback are
rows with chosen times, so every figure of the period is known in advance
(``EXPECTED`` in tests/test_insights.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from handover.schema import Database, handover_events, handovers, suggestion_feedback
from insights.keeper import SummaryKeeper

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CONCERN_SCRIPT = "pause_script_specific_concern"
PAUSE_URL = None  # read from the library by link_url()


def link_url() -> str:
    from toolkit.served import get_library

    return get_library().links["pause_hourly_contract"].url


class Conversation:
    """The events of one conversation, from its first message at ``start``."""

    def __init__(self, conversation_id: str, start: datetime) -> None:
        self.id = conversation_id
        self.at = start
        self.events: List[Dict[str, Any]] = []

    def _add(self, event: Dict[str, Any], after: float) -> Conversation:
        self.at += timedelta(seconds=after)
        self.events.append({**event, "timestamp": self.at.timestamp()})
        return self

    def user(self, intent: str, after: float = 1.0) -> Conversation:
        return self._add({"event": "user", "text": "…", "parse_data": {"intent": {"name": intent}}}, after)

    def action(self, name: str, after: float = 0.1) -> Conversation:
        return self._add({"event": "action", "name": name}, after)

    def script(self, after: float = 0.1) -> Conversation:
        self.action("action_send_concern_script", after)
        self._add({"event": "slot", "name": "script_sent", "value": CONCERN_SCRIPT}, 0.001)
        return self._add({"event": "slot", "name": "link_sent", "value": link_url()}, 0.001)

    def pause_link(self, after: float = 0.1) -> Conversation:
        self.action("action_send_pause_link", after)
        return self._add({"event": "slot", "name": "link_sent", "value": link_url()}, 0.001)

    def save(self, keeper: SummaryKeeper) -> str:
        keeper.observe(self.id, self.events)
        return self.id


def hand_over(
    db: Database,
    conversation_id: str,
    created: datetime,
    reason: str,
    claimed_after: Optional[float] = None,
    resolved_after: Optional[float] = None,
    outcome: Optional[str] = None,
    notified_after: Optional[float] = None,
    released_first: bool = False,
    availability: Optional[str] = None,
) -> int:
    """A hand-over with its steps at the given seconds after ``created``."""

    def later(seconds: Optional[float]) -> Optional[datetime]:
        return None if seconds is None else created + timedelta(seconds=seconds)

    status = "resolved" if resolved_after is not None else "claimed" if claimed_after is not None else "waiting"
    with db.engine.begin() as conn:
        new_id = conn.execute(
            handovers.insert().values(
                conversation_id=conversation_id,
                status=status,
                reason=reason,
                transcript="[]",
                created_at=created,
                updated_at=created,
                claimed_by="alice" if claimed_after is not None else None,
                claimed_at=later(claimed_after),
                resolved_at=later(resolved_after),
                outcome=outcome,
                client_notified_at=later(notified_after),
                follow_up="email" if notified_after is not None else None,
                availability=availability,
            )  # fmt: skip
        ).inserted_primary_key[0]
        steps = [("created", 0.0)]
        if claimed_after is not None:
            steps.append(("claimed", claimed_after))
            if released_first:  # claimed, given back, claimed again: time to claim is to the first
                steps += [("released", claimed_after + 30), ("claimed", claimed_after + 60)]
        if notified_after is not None:
            steps.append(("timeout_notice", notified_after))
        if resolved_after is not None:
            steps.append(("resolved", resolved_after))
        for kind, seconds in steps:
            conn.execute(
                handover_events.insert().values(
                    handover_id=new_id, at=later(seconds), actor="alice", kind=kind, detail=json.dumps({})
                )
            )
    return new_id


def feedback(db: Database, at: datetime, handover_id: int, rows: List[tuple]) -> None:
    """One reply's feedback: (macro, action, rank) in the order the desk writes them."""
    with db.engine.begin() as conn:
        for offset, (macro, action, rank) in enumerate(rows):
            conn.execute(
                suggestion_feedback.insert().values(
                    at=at + timedelta(milliseconds=offset),
                    agent="alice",
                    handover_id=handover_id,
                    macro_id=macro,
                    action=action,
                    shown_rank=rank,
                )  # fmt: skip
            )
