"""What became of a conversation, from its summary row, its hand-overs and its ratings.

Decided as of a moment (``now``) with a window (``INSIGHTS_WINDOW_HOURS``, 24 h
by default) after which a quiet conversation counts as over:

- **handed over**, when it has a hand-over, with how the last one ended:
  ``resumed`` (the bot answers again), ``closed``, or ``open`` (waiting or
  claimed now);
- **nobody available**: its last hand-over passed the waiting limit (the
  client was told an e-mail follows) and nobody took it since;
- **abandoned**: the client left while waiting (the hand-over still waiting
  after the window, the client not told), or, with no hand-over, left after a
  fallback or clarification, after saying the answer did not help, or without
  any answer;
- **contained, confirmed**: no hand-over, and the client rated the bot's answer
  helpful, or thanked or said goodbye after it;
- **contained, assumed**: no hand-over, the conversation ended on an answer (a
  script or help link) and the client wrote nothing more within the window;
- **in progress**: none of these yet (the window has not passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import List, Optional, Sequence

CONTAINED_CONFIRMED = "contained_confirmed"
CONTAINED_ASSUMED = "contained_assumed"
HANDED_OVER = "handed_over"
NOBODY_AVAILABLE = "nobody_available"
ABANDONED = "abandoned"
IN_PROGRESS = "in_progress"
OUTCOMES = (CONTAINED_CONFIRMED, CONTAINED_ASSUMED, HANDED_OVER, NOBODY_AVAILABLE, ABANDONED, IN_PROGRESS)
ENDED_OPEN = "open"
ENDINGS = ("resumed", "closed", ENDED_OPEN)


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    started_at: datetime
    last_client_at: datetime
    last_answer_at: Optional[datetime]
    last_unanswered_at: Optional[datetime]
    thanked_at: Optional[datetime]
    fallbacks: int
    clarifications: int


@dataclass(frozen=True)
class HandOverFacts:
    id: int
    conversation_id: str
    reason: str
    status: str
    created_at: datetime
    first_claimed_at: Optional[datetime]
    resolved_at: Optional[datetime]
    outcome: Optional[str]
    client_notified_at: Optional[datetime]


@dataclass(frozen=True)
class Rating:
    conversation_id: str
    step: str
    helpful: bool
    rated_at: datetime


def outcome_of(
    conversation: Conversation,
    handovers: Sequence[HandOverFacts],
    ratings: Sequence[Rating],
    now: datetime,
    window: timedelta,
) -> tuple[str, Optional[str]]:
    """The outcome and, for a handed-over conversation, how its last hand-over ended."""
    over = now - conversation.last_client_at >= window
    if handovers:
        last = max(handovers, key=lambda h: (h.created_at, h.id))
        if last.status == "resolved":
            return HANDED_OVER, last.outcome
        if last.client_notified_at is not None and last.status == "waiting":
            return NOBODY_AVAILABLE, None
        if last.status == "waiting" and now - last.created_at >= window:
            return ABANDONED, None
        return HANDED_OVER, ENDED_OPEN
    answer_ratings = [r for r in ratings if r.step.startswith("answer:")]
    latest = max(answer_ratings, key=lambda r: r.rated_at) if answer_ratings else None
    if latest is not None and latest.helpful:
        return CONTAINED_CONFIRMED, None
    answered = conversation.last_answer_at
    if latest is None and answered is not None and conversation.thanked_at is not None:
        return CONTAINED_CONFIRMED, None
    if not over:
        return IN_PROGRESS, None
    ended_on_answer = answered is not None and (
        conversation.last_unanswered_at is None or conversation.last_unanswered_at < answered
    )
    if ended_on_answer and latest is None:
        return CONTAINED_ASSUMED, None
    return ABANDONED, None


def percentile(values: List[float], q: float) -> Optional[float]:
    """The ``q`` quantile (0..1) by linear interpolation between the closest ranks; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
