"""What became of a conversation, from its summary row, its hand-overs and its ratings.

Decided by the database, in ``insights/queries.py`` (``conversation_groups``).

Decided as of a moment (``now``) with a window (``INSIGHTS_WINDOW_HOURS``, 24 h
by default) after which a quiet conversation counts as over:

- **handed over**, when it has a hand-over, with how the last one ended:
  ``resumed`` (the bot answers again), ``closed``, ``client_left`` (the client
  ended the chat while an agent held it: not resolved by an agent), or
  ``open`` (waiting or claimed now);
- **nobody available**: its last hand-over passed the waiting limit (the
  client was told an e-mail follows) and nobody took it since (also when the
  client then ended the chat);
- **abandoned**: the client left while waiting (the hand-over still waiting
  after the window, the client not told, or the client ended the chat before
  any agent held it), or, with no hand-over, left after a
  fallback or clarification, after saying the answer did not help, or without
  any answer;
- **contained, confirmed**: no hand-over, and the client rated the bot's answer
  helpful, or thanked or said goodbye after it;
- **contained, assumed**: no hand-over, the conversation ended on an answer (a
  script or help link) and the client wrote nothing more within the window;
- **in progress**: none of these yet (the window has not passed).
"""

from __future__ import annotations

from typing import List, Optional

CONTAINED_CONFIRMED = "contained_confirmed"
CONTAINED_ASSUMED = "contained_assumed"
HANDED_OVER = "handed_over"
NOBODY_AVAILABLE = "nobody_available"
ABANDONED = "abandoned"
IN_PROGRESS = "in_progress"
OUTCOMES = (CONTAINED_CONFIRMED, CONTAINED_ASSUMED, HANDED_OVER, NOBODY_AVAILABLE, ABANDONED, IN_PROGRESS)
ENDED_OPEN = "open"
ENDED_CLIENT_LEFT = "client_left"  # the client ended the chat while an agent held it (handover/records.py)
ENDINGS = ("resumed", "closed", ENDED_CLIENT_LEFT, ENDED_OPEN)


def percentile(values: List[float], q: float) -> Optional[float]:
    """The ``q`` quantile (0..1) by linear interpolation between the closest ranks; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
