"""Persistent store of hand-overs: conversations the bot passed to a person.

An SQLite file by default (``state/handovers.db``); any SQLAlchemy URL from the
``HANDOVER_DB_URL`` environment variable (PostgreSQL in a scaled-out setup).

- ``handovers``: one row a hand-over, with its status ``waiting`` → ``claimed``
  → ``resolved``. A conversation has at most one open hand-over (waiting or
  claimed): a partial unique index enforces it, so asking twice, or two
  replicas racing, never makes a second record.
- ``handover_events``: every step, in order (created, claimed, released,
  reply, resolved, timeout notice), with who did it.
- ``suggestion_feedback``: what agents did with the macros suggested to them.
- ``handover_outbox``: hand-overs waiting to be delivered to an external help
  desk, written in the same transaction as the hand-over itself.

Every state change is one conditional ``UPDATE``, so two agents, or two
replicas, can never both win a claim or send the same notice twice. Tables
from an earlier version gain their new columns on start (nothing is dropped).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

ROOT = Path(__file__).resolve().parent.parent
DB_URL_ENV = "HANDOVER_DB_URL"
DEFAULT_DB_PATH = ROOT / "state" / "handovers.db"

STATUS_WAITING = "waiting"
STATUS_CLAIMED = "claimed"
STATUS_RESOLVED = "resolved"
STATUSES = (STATUS_WAITING, STATUS_CLAIMED, STATUS_RESOLVED)
OPEN_STATUSES = (STATUS_WAITING, STATUS_CLAIMED)

OUTCOME_RESUMED = "resumed"  # the bot answers the client again
OUTCOME_CLOSED = "closed"  # the conversation is over; the next message starts afresh
OUTCOMES = (OUTCOME_RESUMED, OUTCOME_CLOSED)

FEEDBACK_SENT_AS_IS = "sent_as_is"
FEEDBACK_EDITED = "edited"
FEEDBACK_IGNORED = "ignored"
FEEDBACK_ACTIONS = (FEEDBACK_SENT_AS_IS, FEEDBACK_EDITED, FEEDBACK_IGNORED)

metadata = sa.MetaData()
_open_clause = sa.text("status IN ('waiting', 'claimed')")
_Time = sa.DateTime(timezone=True)

handovers = sa.Table(
    "handovers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default=STATUS_WAITING),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float),
    sa.Column("concern", sa.String(255)),
    sa.Column("contract_type", sa.String(64)),
    sa.Column("macro_id", sa.String(128)),
    sa.Column("script_sent", sa.String(128)),
    sa.Column("link_sent", sa.String(2048)),
    sa.Column("kb_title", sa.String(255)),
    sa.Column("kb_section", sa.String(255)),
    sa.Column("transcript", sa.Text, nullable=False),
    sa.Column("created_at", _Time, nullable=False),
    sa.Column("updated_at", _Time, nullable=False),
    # added with the agent desk
    sa.Column("priority", sa.String(16)),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_at", _Time),
    sa.Column("resolved_by", sa.String(64)),
    sa.Column("resolved_at", _Time),
    sa.Column("outcome", sa.String(16)),
    sa.Column("client_notified_at", _Time),
    sa.Column("follow_up", sa.String(32)),
    sa.Index("ix_handovers_status_created", "status", "created_at"),
    sa.Index(
        "uq_handovers_open_conversation",
        "conversation_id",
        unique=True,
        sqlite_where=_open_clause,
        postgresql_where=_open_clause,
    ),
)

handover_events = sa.Table(
    "handover_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handover_id", sa.Integer, sa.ForeignKey("handovers.id"), nullable=False),
    sa.Column("at", _Time, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),
    sa.Index("ix_handover_events_handover", "handover_id", "id"),
)

suggestion_feedback = sa.Table(
    "suggestion_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", _Time, nullable=False),
    sa.Column("agent", sa.String(64), nullable=False),
    sa.Column("conversation_id", sa.String(255)),
    sa.Column("handover_id", sa.Integer),
    sa.Column("macro_id", sa.String(128), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("confidence", sa.Float),
    sa.Column("intent", sa.String(64)),
    sa.Index("ix_suggestion_feedback_macro", "macro_id", "action"),
)

handover_outbox = sa.Table(
    "handover_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(64), nullable=False, unique=True),
    sa.Column("handover_id", sa.Integer, sa.ForeignKey("handovers.id"), nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", _Time, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", _Time, nullable=False),
    sa.Column("delivered_at", _Time),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_handover_outbox_due", "delivered_at", "next_attempt_at"),
)


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
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


@dataclass
class HandOverEvent:
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
    id: int
    delivery_id: str
    handover_id: int
    event: str
    payload: str  # the JSON body, exactly as it is sent (and signed)
    attempts: int
    next_attempt_at: datetime
    delivered_at: Optional[datetime]
    last_error: Optional[str]


def default_url() -> str:
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{DEFAULT_DB_PATH}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


# A function that turns a stored hand-over into the outbox payload (a JSON-able dict).
PayloadBuilder = Callable[["HandOver"], Dict[str, Any]]


class HandOverStore:
    """Reads and writes hand-overs and their steps; safe to share between threads."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or default_url()
        self._engine: Optional[Engine] = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._connect()
            return self._engine

    def _connect(self) -> Engine:
        url = sa.engine.make_url(self.url)
        kwargs: Dict[str, Any] = {"future": True, "pool_pre_ping": True}
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        engine = sa.create_engine(url, **kwargs)
        metadata.create_all(engine)
        _add_missing_columns(engine)
        return engine

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
        now = _now()
        values = {k: v for k, v in record.to_dict().items() if k in handovers.c and k != "id"}
        values.update(
            transcript=json.dumps(record.transcript, ensure_ascii=False),
            status=STATUS_WAITING,
            created_at=now,
            updated_at=now,
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
                _add_event(conn, new_id, "assistant", "created", {"reason": record.reason}, now)
                if outbox_payload is not None:
                    stored = _get(conn, new_id)
                    _enqueue(conn, stored, "handover.created", outbox_payload(stored), now)
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
        now = _now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                handovers.update()
                .where(handovers.c.id == handover_id, handovers.c.status == STATUS_WAITING)
                .values(status=STATUS_CLAIMED, claimed_by=agent, claimed_at=now, updated_at=now)
            ).rowcount
            if changed:
                _add_event(conn, handover_id, agent, "claimed", {}, now)
                return _get(conn, handover_id), True
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
        now = _now()
        with self.engine.begin() as conn:
            current = _get(conn, handover_id, for_update=True)
            if current is None:
                raise HandOverNotFound(handover_id)
            if current.status != STATUS_CLAIMED or current.claimed_by != agent:
                raise HandOverConflict(_why_not(current, agent, "reply to"), current)
            conn.execute(handovers.update().where(handovers.c.id == handover_id).values(updated_at=now))
            _add_event(conn, handover_id, agent, "reply", {"text": text}, now)
        return current

    def resolve(self, handover_id: int, agent: str, outcome: str) -> HandOver:
        """The claiming agent ends the hand-over: the bot resumes, or the chat is closed."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        now = _now()
        return self._change_own_claim(
            handover_id,
            agent,
            "resolve",
            dict(status=STATUS_RESOLVED, resolved_by=agent, resolved_at=now, outcome=outcome),
            "resolved",
            {"outcome": outcome},
        )

    def _change_own_claim(
        self,
        handover_id: int,
        agent: str,
        verb: str,
        values: Dict[str, Any],
        kind: str,
        detail: Dict[str, Any],
    ) -> HandOver:
        now = _now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                handovers.update()
                .where(
                    handovers.c.id == handover_id,
                    handovers.c.status == STATUS_CLAIMED,
                    handovers.c.claimed_by == agent,
                )
                .values(updated_at=now, **values)
            ).rowcount
            if changed:
                _add_event(conn, handover_id, agent, kind, detail, now)
                return _get(conn, handover_id)
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
                .values(transcript=json.dumps(transcript, ensure_ascii=False), updated_at=_now())
            )

    def waiting_since_before(self, cutoff: datetime) -> List[HandOver]:
        """Waiting hand-overs created before ``cutoff`` whose client was not told yet."""
        query = (
            handovers.select()
            .where(
                handovers.c.status == STATUS_WAITING,
                handovers.c.created_at < cutoff,
                handovers.c.client_notified_at.is_(None),
            )
            .order_by(handovers.c.created_at)
        )
        with self.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]

    def mark_client_notified(self, handover_id: int, follow_up: str, waited_seconds: float) -> bool:
        """Record that the client was told what happens next; True for the one caller that wins."""
        now = _now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                handovers.update()
                .where(
                    handovers.c.id == handover_id,
                    handovers.c.status == STATUS_WAITING,
                    handovers.c.client_notified_at.is_(None),
                )
                .values(client_notified_at=now, follow_up=follow_up, updated_at=now)
            ).rowcount
            if changed:
                detail = {"follow_up": follow_up, "waited_seconds": round(waited_seconds)}
                _add_event(conn, handover_id, "assistant", "timeout_notice", detail, now)
        return bool(changed)

    def add_event(self, handover_id: int, actor: str, kind: str, detail: Dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            _add_event(conn, handover_id, actor, kind, detail, _now())

    # --- suggestion feedback ------------------------------------------------

    def record_feedback(
        self,
        agent: str,
        macro_id: str,
        action: str,
        conversation_id: Optional[str] = None,
        handover_id: Optional[int] = None,
        confidence: Optional[float] = None,
        intent: Optional[str] = None,
    ) -> None:
        if action not in FEEDBACK_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(FEEDBACK_ACTIONS)}, not {action!r}")
        with self.engine.begin() as conn:
            conn.execute(
                suggestion_feedback.insert().values(
                    at=_now(),
                    agent=agent,
                    conversation_id=conversation_id,
                    handover_id=handover_id,
                    macro_id=macro_id,
                    action=action,
                    confidence=confidence,
                    intent=intent,
                )
            )

    def feedback_summary(self) -> Dict[str, Dict[str, int]]:
        """How often each suggested macro was sent as is, edited or ignored."""
        query = sa.select(suggestion_feedback.c.macro_id, suggestion_feedback.c.action, sa.func.count()).group_by(
            suggestion_feedback.c.macro_id, suggestion_feedback.c.action
        )
        summary: Dict[str, Dict[str, int]] = {}
        with self.engine.connect() as conn:
            for macro_id, action, count in conn.execute(query):
                summary.setdefault(macro_id, dict.fromkeys(FEEDBACK_ACTIONS, 0))[action] = count
        return summary

    def feedback(self, handover_id: Optional[int] = None) -> List[Dict[str, Any]]:
        query = suggestion_feedback.select().order_by(suggestion_feedback.c.id)
        if handover_id is not None:
            query = query.where(suggestion_feedback.c.handover_id == handover_id)
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for row in rows:
            row["at"] = _aware(row["at"]).isoformat()
        return rows

    # --- outbox to an external help desk ------------------------------------

    def due_deliveries(self, limit: int = 20) -> List[OutboxItem]:
        query = (
            handover_outbox.select()
            .where(handover_outbox.c.delivered_at.is_(None), handover_outbox.c.next_attempt_at <= _now())
            .order_by(handover_outbox.c.next_attempt_at, handover_outbox.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_outbox_from_row(r) for r in conn.execute(query).mappings()]

    def lease_delivery(self, item: OutboxItem, seconds: float) -> bool:
        """Take ``item`` for one attempt (True for the one worker that wins it)."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    handover_outbox.update()
                    .where(
                        handover_outbox.c.id == item.id,
                        handover_outbox.c.delivered_at.is_(None),
                        handover_outbox.c.next_attempt_at == item.next_attempt_at,
                    )
                    .values(next_attempt_at=_now() + timedelta(seconds=seconds))
                ).rowcount
            )

    def mark_delivered(self, item_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                handover_outbox.update()
                .where(handover_outbox.c.id == item_id)
                .values(delivered_at=_now(), attempts=handover_outbox.c.attempts + 1, last_error=None)
            )

    def mark_attempt_failed(self, item_id: int, error: str, retry_in: float) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                handover_outbox.update()
                .where(handover_outbox.c.id == item_id)
                .values(
                    attempts=handover_outbox.c.attempts + 1,
                    last_error=error[:2000],
                    next_attempt_at=_now() + timedelta(seconds=retry_in),
                )
            )

    def outbox(self, handover_id: Optional[int] = None) -> List[OutboxItem]:
        query = handover_outbox.select().order_by(handover_outbox.c.id)
        if handover_id is not None:
            query = query.where(handover_outbox.c.handover_id == handover_id)
        with self.engine.connect() as conn:
            return [_outbox_from_row(r) for r in conn.execute(query).mappings()]

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


# --- helpers ----------------------------------------------------------------


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


def _enqueue(conn: Connection, stored: HandOver, event: str, payload: Dict[str, Any], now: datetime) -> None:
    delivery_id = str(uuid.uuid4())
    body = {"event": event, "delivery_id": delivery_id, **payload}
    conn.execute(
        handover_outbox.insert().values(
            delivery_id=delivery_id,
            handover_id=stored.id,
            event=event,
            payload=json.dumps(body, ensure_ascii=False, sort_keys=True),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)  # SQLite drops the zone
    return value


def _from_row(row: Any) -> HandOver:
    data = dict(row)
    data["transcript"] = json.loads(data["transcript"])
    for key, value in data.items():
        if isinstance(value, datetime):
            data[key] = _aware(value)
    return HandOver(**data)


def _event_from_row(row: Any) -> HandOverEvent:
    data = dict(row)
    data["detail"] = json.loads(data["detail"] or "{}")
    data["at"] = _aware(data["at"])
    return HandOverEvent(**data)


def _outbox_from_row(row: Any) -> OutboxItem:
    data = {k: v for k, v in dict(row).items() if k != "created_at"}
    for key in ("next_attempt_at", "delivered_at"):
        data[key] = _aware(data[key])
    return OutboxItem(**data)


def _add_missing_columns(engine: Engine) -> None:
    """Bring tables made by an earlier version up to date: add the columns they lack."""
    inspector = sa.inspect(engine)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c for c in table.columns if c.name not in present]
        if not missing:
            continue
        with engine.begin() as conn:
            for column in missing:
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
