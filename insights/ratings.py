"""Taking a client's rating: checked, stored once per step, counted.

The channels (``channels/ratings.py``) check who is rating (a signed
conversation token) and which step (a step the server offered in that
conversation, signed too); this checks the rest and stores it in
``client_ratings`` (``handover/ratings.py``).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from handover.ratings import MAX_COMMENT_CHARS, ClientRating, RatingLog
from handover.schema import Database
from insights import metrics


class RatingRefused(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def checked_answer(body: Dict[str, Any]) -> tuple[bool, Optional[str]]:
    """``helpful`` (true or false) and the optional ``comment`` of a rating request."""
    helpful = body.get("helpful")
    if not isinstance(helpful, bool):
        raise RatingRefused(400, "'helpful' must be true (it helped) or false (it did not)")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise RatingRefused(400, "'comment' must be text, or left out")
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        raise RatingRefused(400, f"'comment' is {len(comment)} characters long; at most {MAX_COMMENT_CHARS}")
    return helpful, (comment or "").strip() or None


class Ratings:
    """Stores ratings in the hand-over database.

    The step's signature (checked by the channel) already proves the server
    offered it in this conversation, so no other read is needed: the rating may
    arrive before the conversation's save is done.
    """

    def __init__(self, db: Optional[Database] = None) -> None:
        self._db = db or Database()
        self.log = RatingLog(self._db)

    def rate(self, conversation_id: str, step: str, helpful: bool, comment: Optional[str]) -> ClientRating:
        rating = self.log.rate(conversation_id, step, helpful, comment)
        metrics.observe_rating(rating.kind, helpful)
        return rating
