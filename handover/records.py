"""What a hand-over is: the record, its steps, and the words for its states."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

STATUS_WAITING = "waiting"
STATUS_CLAIMED = "claimed"
STATUS_RESOLVED = "resolved"
STATUSES = (STATUS_WAITING, STATUS_CLAIMED, STATUS_RESOLVED)
OPEN_STATUSES = (STATUS_WAITING, STATUS_CLAIMED)

OUTCOME_RESUMED = "resumed"  # the bot answers the client again
OUTCOME_CLOSED = "closed"  # the conversation is over; the next message starts afresh
OUTCOME_CLIENT_LEFT = "client_left"  # the client ended the chat before an agent resolved it (no agent chose it)
AGENT_OUTCOMES = (OUTCOME_RESUMED, OUTCOME_CLOSED)  # what an agent may choose when resolving
OUTCOMES = (*AGENT_OUTCOMES, OUTCOME_CLIENT_LEFT)

FEEDBACK_SENT_AS_IS = "sent_as_is"
FEEDBACK_EDITED = "edited"
FEEDBACK_IGNORED = "ignored"
FEEDBACK_ACTIONS = (FEEDBACK_SENT_AS_IS, FEEDBACK_EDITED, FEEDBACK_IGNORED)

# why the conversation was handed over, as stored in the record
REASON_CLIENT_ASKED = "client_asked_for_person"
REASON_ACCEPTED_OFFER = "client_accepted_offer"
REASON_UNCLEAR = "message_still_unclear"

# a client reporting one of these concerns is served first
PRIORITY_HIGH = "high"
PRIORITY_NORMAL = "normal"
HIGH_PRIORITY_CONCERNS = frozenset({"off_platform_payment", "conduct"})

# how a client who waited too long is followed up
FOLLOW_UP_EMAIL = "email"

# what the client was told at hand-over (handover/announce.py), kept as the record's availability
AVAILABILITY_ONLINE = "online"  # agents online within hours: one will join shortly
AVAILABILITY_NOBODY_ONLINE = "nobody_online"  # within hours, but no agent at the desk
AVAILABILITY_OUTSIDE_HOURS = "outside_hours"  # the team is away until its next opening
AVAILABILITIES = (AVAILABILITY_ONLINE, AVAILABILITY_NOBODY_ONLINE, AVAILABILITY_OUTSIDE_HOURS)


class HandOverNotFound(LookupError):
    def __init__(self, handover_id: int) -> None:
        super().__init__(f"no hand-over with id {handover_id}")
        self.handover_id = handover_id


class HandOverConflict(Exception):
    """The hand-over is not in a state that allows the step (a message says why)."""

    def __init__(self, message: str, handover: Optional[HandOver] = None) -> None:
        super().__init__(message)
        self.handover = handover


@dataclass
class HandOver:
    conversation_id: str
    reason: str
    transcript: List[Dict[str, Any]]
    intent: Optional[str] = None
    confidence: Optional[float] = None
    concern: Optional[str] = None
    contract_type: Optional[str] = None
    macro_id: Optional[str] = None
    script_sent: Optional[str] = None
    link_sent: Optional[str] = None
    kb_title: Optional[str] = None
    kb_section: Optional[str] = None
    priority: Optional[str] = None
    status: str = STATUS_WAITING
    id: Optional[int] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    claimed_by: Optional[str] = None
    claimed_at: Optional[datetime] = None
    resolved_by: Optional[str] = None
    resolved_at: Optional[datetime] = None
    outcome: Optional[str] = None
    client_notified_at: Optional[datetime] = None
    follow_up: Optional[str] = None
    availability: Optional[str] = None
    # the live desk (issue 16): when agent pages were told, when it was raised again, the latest client line
    announced_at: Optional[datetime] = None
    reraised_at: Optional[datetime] = None
    last_client_text: Optional[str] = None
    last_client_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def stored_id(self) -> int:
        """The id of a stored hand-over (a record not stored yet has none)."""
        if self.id is None:
            raise ValueError("this hand-over is not stored yet")
        return self.id

    @property
    def concerns(self) -> List[str]:
        """The concern kinds, as a list (stored comma-separated)."""
        return [kind for kind in (self.concern or "").split(",") if kind]

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@dataclass
class HandOverEvent:
    """One step of a hand-over (created, claimed, reply, resolved, ...), with who did it."""

    id: int
    handover_id: int
    at: datetime
    actor: str
    kind: str
    detail: Dict[str, Any]

    def to_dict(self) -> Dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


@dataclass
class OutboxItem:
    """A delivery of a hand-over to an external help desk, and its attempts."""

    id: int
    delivery_id: str
    handover_id: int
    event: str
    payload: str  # the JSON body, exactly as it is sent (and signed)
    attempts: int
    next_attempt_at: datetime
    delivered_at: Optional[datetime]
    last_error: Optional[str]


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: Optional[datetime]) -> Optional[datetime]:
    """A stored time with its zone (SQLite drops it; every time here is UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
