"""What the client is told at hand-over: the truth about who can join, and when.

- agents online and within working hours → ``online``: an agent will join
  shortly, with the client's place in the queue;
- within hours but no agent online → ``nobody_online``: the conversation waits
  in the queue for the next agent, and an e-mail follows if nobody joins soon;
- outside working hours (or on a holiday) → ``outside_hours``: when the team
  is back (the next opening, in the team's time zone) and the e-mail follow-up.

In every case the hand-over waits in the queue for the next agent. The case is
kept as the hand-over's ``availability`` (the desk's summary, the insights).
The words are the domain's responses (``toolkit/names.py`` HANDOVER_RESPONSES).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Optional

import sqlalchemy as sa

from handover.records import (
    AVAILABILITY_NOBODY_ONLINE,
    AVAILABILITY_ONLINE,
    AVAILABILITY_OUTSIDE_HOURS,
    STATUS_WAITING,
    HandOver,
)
from handover.schema import Database, handovers
from toolkit import names
from toolkit.hours import WorkingHours, describe

RESPONSES = {
    AVAILABILITY_ONLINE: names.UTTER_HANDOVER,
    AVAILABILITY_NOBODY_ONLINE: names.UTTER_HANDOVER_NOBODY_ONLINE,
    AVAILABILITY_OUTSIDE_HOURS: names.UTTER_HANDOVER_OUTSIDE_HOURS,
}


@dataclass(frozen=True)
class Announcement:
    availability: str
    opening: Optional[datetime] = None  # outside hours: when the team is back, in its time zone
    values: Dict[str, Any] = field(default_factory=dict)  # what the response's {placeholders} need

    @property
    def response(self) -> str:
        return RESPONSES[self.availability]


def decide(hours: Optional[WorkingHours], online_agents: int, at: datetime) -> Announcement:
    """The case at ``at``; without working hours (``None``) the team counts as within hours."""
    if hours is not None and not hours.is_open(at):
        opening = hours.next_opening(at)
        if opening is not None:
            return Announcement(AVAILABILITY_OUTSIDE_HOURS, opening, describe(opening))
    if online_agents > 0:
        return Announcement(AVAILABILITY_ONLINE)
    return Announcement(AVAILABILITY_NOBODY_ONLINE)


def queue_position(db: Database, handover: HandOver) -> int:
    """The hand-over's place among the waiting ones, oldest first (1 = next); 1 once claimed."""
    if handover.status != STATUS_WAITING or handover.created_at is None:
        return 1
    h = handovers.c
    ahead = sa.select(sa.func.count()).where(
        h.status == STATUS_WAITING,
        sa.or_(h.created_at < handover.created_at, sa.and_(h.created_at == handover.created_at, h.id < handover.id)),
    )
    with db.engine.connect() as conn:
        return int(conn.execute(ahead).scalar() or 0) + 1
