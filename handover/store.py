"""Hand-overs and their steps: created, claimed, released, replied to, resolved.

Every state change is one conditional ``UPDATE``, so two agents, or two
replicas, can never both win a claim or send the same notice twice. The
store's ``feedback`` and ``outbox`` work on the same database
(``handover/feedback.py``, ``handover/outbox.py``); the tables are in
``handover/schema.py``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from handover import outbox as outbox_mod
from handover.feedback import FeedbackLog
from handover.notes import NoteLog
from handover.ratings import RatingLog
from handover.records import (
    AGENT_OUTCOMES,
    OPEN_STATUSES,
    OUTCOME_CLIENT_LEFT,
    STATUS_CLAIMED,
    STATUS_RESOLVED,
    STATUS_WAITING,
    HandOver,
    HandOverConflict,
    HandOverEvent,
    HandOverNotFound,
    aware,
    now,
)
from handover.schema import Database, handover_events, handovers
from privacy.masking import mask_text

# A function that turns a stored hand-over into the outbox payload (a JSON-able dict).
PayloadBuilder = Callable[[HandOver], Dict[str, Any]]


class HandOverStore(Database):
    """Reads and writes hand-overs and their steps; safe to share between threads."""

    def __init__(self, url: Optional[str] = None) -> None:
        super().__init__(url)
        self.feedback = FeedbackLog(self)
        self.outbox = outbox_mod.Outbox(self)
        self.ratings = RatingLog(self)
        self.notes = NoteLog(self)

    # --- reading ------------------------------------------------------------

    def open_for(self, conversation_id: str) -> Optional[HandOver]:
        """The conversation's waiting or claimed hand-over, if any."""
        query = handovers.select().where(
            handovers.c.conversation_id == conversation_id,
            handovers.c.status.in_(OPEN_STATUSES),
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _from_row(row) if row else None

    def get(self, handover_id: int) -> Optional[HandOver]:
        with self.engine.connect() as conn:
            return _get(conn, handover_id)

    def require(self, handover_id: int) -> HandOver:
        found = self.get(handover_id)
        if found is None:
            raise HandOverNotFound(handover_id)
        return found

    def list(self, status: Optional[str] = None, limit: Optional[int] = None) -> List[HandOver]:
        """Oldest first (the queue order); resolved ones newest first."""
        query = handovers.select()
        if status:
            query = query.where(handovers.c.status == status)
        if status == STATUS_RESOLVED:
            query = query.order_by(handovers.c.resolved_at.desc(), handovers.c.id.desc())
        else:
            query = query.order_by(handovers.c.created_at, handovers.c.id)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]

    def waiting_conversations(self, limit: int) -> List[str]:
        """The conversations of the waiting hand-overs in queue order (the first is next): their ids only."""
        query = (
            sa.select(handovers.c.conversation_id)
            .where(handovers.c.status == STATUS_WAITING)
            .order_by(handovers.c.created_at, handovers.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def open_counts(self) -> Dict[str, int]:
        """How many hand-overs wait and how many are claimed now: ``{"waiting": n, "claimed": m}``."""
        query = (
            sa.select(handovers.c.status, sa.func.count())
            .where(handovers.c.status.in_(OPEN_STATUSES))
            .group_by(handovers.c.status)
        )
        with self.engine.connect() as conn:
            found = {status: count for status, count in conn.execute(query)}
        return {status: int(found.get(status, 0)) for status in OPEN_STATUSES}

    def events(self, handover_id: int) -> List[HandOverEvent]:
        query = (
            handover_events.select().where(handover_events.c.handover_id == handover_id).order_by(handover_events.c.id)
        )
        with self.engine.connect() as conn:
            return [_event_from_row(r) for r in conn.execute(query).mappings()]

    # --- the steps of a hand-over -------------------------------------------

    def create_or_get_open(
        self, record: HandOver, outbox_payload: Optional[PayloadBuilder] = None
    ) -> tuple[HandOver, bool]:
        """Store ``record`` unless the conversation already has an open hand-over.

        With ``outbox_payload``, the new hand-over is also queued for delivery to
        an external help desk, in the same transaction. Returns the stored record
        and whether it is new.
        """
        existing = self.open_for(record.conversation_id)
        if existing:
            return existing, False
        at = now()
        values = {k: v for k, v in record.to_dict().items() if k in handovers.c and k != "id"}
        values.update(
            transcript=json.dumps(record.transcript, ensure_ascii=False),
            status=STATUS_WAITING,
            created_at=at,
            updated_at=at,
            claimed_by=None,
            claimed_at=None,
            resolved_by=None,
            resolved_at=None,
            outcome=None,
            client_notified_at=None,
            follow_up=None,
        )
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(handovers.insert().values(**values)).inserted_primary_key[0]
                _add_event(conn, new_id, "assistant", "created", {"reason": record.reason}, at)
                if outbox_payload is not None:
                    stored = _require(conn, new_id)
                    outbox_mod.enqueue(conn, new_id, "handover.created", outbox_payload(stored), at)
        except IntegrityError:
            # Another request opened one between our check and our insert.
            existing = self.open_for(record.conversation_id)
            if existing is None:
                raise
            return existing, False
        return self.require(new_id), True

    def claim(self, handover_id: int, agent: str) -> tuple[HandOver, bool]:
        """``agent`` takes a waiting hand-over; returns it and whether this call claimed it.

        Claiming one's own hand-over again changes nothing.
        """
        at = now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                handovers.update()
                .where(handovers.c.id == handover_id, handovers.c.status == STATUS_WAITING)
                .values(status=STATUS_CLAIMED, claimed_by=agent, claimed_at=at, updated_at=at)
            ).rowcount
            if changed:
                _add_event(conn, handover_id, agent, "claimed", {}, at)
                return _require(conn, handover_id), True
            current = _get(conn, handover_id)
        if current is None:
            raise HandOverNotFound(handover_id)
        if current.status == STATUS_CLAIMED and current.claimed_by == agent:
            return current, False
        raise HandOverConflict(_why_not(current, agent, "claim"), current)

    def release(self, handover_id: int, agent: str) -> HandOver:
        """The claiming agent gives the hand-over back to the queue."""
        return self._change_own_claim(
            handover_id,
            agent,
            "release",
            dict(status=STATUS_WAITING, claimed_by=None, claimed_at=None),
            "released",
            {},
        )

    def record_reply(self, handover_id: int, agent: str, text: str) -> HandOver:
        """Keep an agent's message to the client; only the claiming agent may send one."""
        at = now()
        with self.engine.begin() as conn:
            current = _get(conn, handover_id, for_update=True)
            if current is None:
                raise HandOverNotFound(handover_id)
            if current.status != STATUS_CLAIMED or current.claimed_by != agent:
                raise HandOverConflict(_why_not(current, agent, "reply to"), current)
            conn.execute(handovers.update().where(handovers.c.id == handover_id).values(updated_at=at))
            _add_event(conn, handover_id, agent, "reply", {"text": text}, at)
        return current

    def resolve(self, handover_id: int, agent: str, outcome: str) -> HandOver:
        """The claiming agent ends the hand-over: the bot resumes, or the chat is closed."""
        if outcome not in AGENT_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(AGENT_OUTCOMES)}, not {outcome!r}")
        at = now()
        return self._change_own_claim(
            handover_id,
            agent,
            "resolve",
            dict(status=STATUS_RESOLVED, resolved_by=agent, resolved_at=at, outcome=outcome),
            "resolved",
            {"outcome": outcome},
        )

    def client_left(self, conversation_id: str) -> Optional[HandOver]:
        """The client ended the chat: its open hand-over ends with ``client_left``, once.

        One conditional UPDATE (still waiting or claimed), so of two replicas, or of
        the client and an agent resolving at the same moment, one wins and an agent's
        resolution is never overwritten. ``claimed_by`` and ``claimed_at`` stay as
        they were (an agent had joined, or not); ``resolved_by`` stays empty: no agent
        resolved it. A hand-over that went to an external help desk gets a
        ``handover.client_left`` delivery in the same transaction. Returns the
        hand-over for the one caller that ended it, else None (no open hand-over).
        """
        found = self.open_for(conversation_id)
        if found is None:
            return None
        at = now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                handovers.update()
                .where(handovers.c.id == found.stored_id, handovers.c.status.in_(OPEN_STATUSES))
                .values(status=STATUS_RESOLVED, resolved_at=at, outcome=OUTCOME_CLIENT_LEFT, updated_at=at)
            ).rowcount
            if not changed:
                return None
            detail = {"was": found.status, "claimed_by": found.claimed_by}
            _add_event(conn, found.stored_id, "client", "client_left", detail, at)
            if outbox_mod.has_deliveries(conn, found.stored_id):  # the help desk has it: tell it too
                left = {"handover_id": found.stored_id, "conversation_id": conversation_id, "left_at": at.isoformat(),
                        "was": found.status, "claimed_by": found.claimed_by}  # fmt: skip
                outbox_mod.enqueue(conn, found.stored_id, "handover.client_left", left, at)
            return _require(conn, found.stored_id)

    def _change_own_claim(
        self,
        handover_id: int,
        agent: str,
        verb: str,
        values: Dict[str, Any],
        kind: str,
        detail: Dict[str, Any],
    ) -> HandOver:
        at = now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                handovers.update()
                .where(
                    handovers.c.id == handover_id,
                    handovers.c.status == STATUS_CLAIMED,
                    handovers.c.claimed_by == agent,
                )
                .values(updated_at=at, **values)
            ).rowcount
            if changed:
                _add_event(conn, handover_id, agent, kind, detail, at)
                return _require(conn, handover_id)
            current = _get(conn, handover_id)
        if current is None:
            raise HandOverNotFound(handover_id)
        raise HandOverConflict(_why_not(current, agent, verb), current)

    def save_transcript(self, handover_id: int, transcript: List[Dict[str, Any]]) -> None:
        """Keep the conversation as it stands (done when a hand-over is resolved)."""
        with self.engine.begin() as conn:
            conn.execute(
                handovers.update()
                .where(handovers.c.id == handover_id)
                .values(transcript=json.dumps(transcript, ensure_ascii=False), updated_at=now())
            )

    def waiting_since_before(self, cutoff: datetime) -> List[HandOver]:
        """Waiting hand-overs created before ``cutoff`` whose client was not told yet."""
        return self._created_before(cutoff, (STATUS_WAITING,), handovers.c.client_notified_at)

    def mark_client_notified(self, handover_id: int, follow_up: str, waited_seconds: float) -> bool:
        """Record that the client was told what happens next; True for the one caller that wins."""
        at = now()
        with self.engine.begin() as conn:
            changed = _set_once_while_waiting(
                conn,
                handover_id,
                handovers.c.client_notified_at,
                client_notified_at=at,
                follow_up=follow_up,
                updated_at=at,
            )
            if changed:
                detail = {"follow_up": follow_up, "waited_seconds": round(waited_seconds)}
                _add_event(conn, handover_id, "assistant", "timeout_notice", detail, at)
        return changed

    def add_event(self, handover_id: int, actor: str, kind: str, detail: Dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            _add_event(conn, handover_id, actor, kind, detail, now())

    # --- the live desk (desk/live.py): each push and each raise happens once, whichever replica asks

    def mark_announced(self, handover_id: int) -> bool:
        """Record that agent pages were told of the new hand-over; True for the one caller that wins."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                handovers.update()
                .where(handovers.c.id == handover_id, handovers.c.announced_at.is_(None))
                .values(announced_at=now())
            ).rowcount
        return bool(changed)

    def unannounced_before(self, cutoff: datetime) -> List[HandOver]:
        """Open hand-overs created before ``cutoff`` that no agent page was told of (the safety net)."""
        return self._created_before(cutoff, OPEN_STATUSES, handovers.c.announced_at)

    def unraised_waiting_before(self, cutoff: datetime) -> List[HandOver]:
        """Waiting hand-overs created before ``cutoff`` that were not raised again yet."""
        return self._created_before(cutoff, (STATUS_WAITING,), handovers.c.reraised_at)

    def mark_reraised(self, handover_id: int, waited_seconds: float) -> Optional[HandOver]:
        """Raise a still-waiting hand-over again; the hand-over for the one caller that wins, else None."""
        at = now()
        with self.engine.begin() as conn:
            if not _set_once_while_waiting(conn, handover_id, handovers.c.reraised_at, reraised_at=at):
                return None
            _add_event(conn, handover_id, "assistant", "reraised", {"waited_seconds": round(waited_seconds)}, at)
            return _require(conn, handover_id)

    def note_client_message(self, conversation_id: str, text: str, at: Optional[datetime] = None) -> Optional[HandOver]:
        """Keep the client's latest message (masked) on the conversation's open hand-over, if it has one."""
        found = self.open_for(conversation_id)
        if found is None:
            return None
        at = at or now()
        masked = mask_text(text)
        with self.engine.begin() as conn:
            conn.execute(
                handovers.update()
                .where(handovers.c.id == found.stored_id)
                .values(last_client_text=masked, last_client_at=at)
            )
        found.last_client_text, found.last_client_at = masked, at
        return found

    def _created_before(self, cutoff: datetime, statuses: Iterable[str], unset: Any) -> List[HandOver]:
        """Hand-overs in one of ``statuses``, created before ``cutoff``, whose column ``unset`` is still
        empty; oldest first."""
        query = (
            handovers.select()
            .where(handovers.c.status.in_(statuses), handovers.c.created_at < cutoff, unset.is_(None))
            .order_by(handovers.c.created_at)
        )
        with self.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]


# --- helpers ----------------------------------------------------------------


def _set_once_while_waiting(conn: Connection, handover_id: int, unset: Any, **values: Any) -> bool:
    """One conditional UPDATE: ``values`` on a still-waiting hand-over whose column ``unset`` is
    empty; True for the one caller that wins."""
    changed = conn.execute(
        handovers.update()
        .where(handovers.c.id == handover_id, handovers.c.status == STATUS_WAITING, unset.is_(None))
        .values(**values)
    ).rowcount
    return bool(changed)


def _why_not(current: HandOver, agent: str, verb: str) -> str:
    if current.status == STATUS_RESOLVED:
        return f"hand-over {current.id} is already resolved"
    if current.status == STATUS_CLAIMED and current.claimed_by != agent:
        return f"hand-over {current.id} is claimed by {current.claimed_by}"
    return f"hand-over {current.id} is {current.status}: claim it before you {verb} it"


def _get(conn: Connection, handover_id: int, for_update: bool = False) -> Optional[HandOver]:
    query = handovers.select().where(handovers.c.id == handover_id)
    if for_update and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _from_row(row) if row else None


def _require(conn: Connection, handover_id: int) -> HandOver:
    found = _get(conn, handover_id)
    if found is None:
        raise HandOverNotFound(handover_id)
    return found


def _add_event(conn: Connection, handover_id: int, actor: str, kind: str, detail: Dict[str, Any], at: datetime) -> None:
    conn.execute(
        handover_events.insert().values(
            handover_id=handover_id,
            at=at,
            actor=actor,
            kind=kind,
            detail=json.dumps(detail, ensure_ascii=False),
        )
    )


def _from_row(row: Any) -> HandOver:
    data = dict(row)
    data["transcript"] = json.loads(data["transcript"])
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = aware(value)
    return HandOver(**data)


def _event_from_row(row: Any) -> HandOverEvent:
    data = dict(row)
    data["detail"] = json.loads(data["detail"] or "{}")
    data["at"] = aware(data["at"])
    return HandOverEvent(**data)
