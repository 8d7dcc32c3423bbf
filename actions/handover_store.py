"""Persistent store of hand-overs: conversations the bot passed to a person.

An SQLite file by default (``state/handovers.db``); any SQLAlchemy URL from the
``HANDOVER_DB_URL`` environment variable (PostgreSQL in a scaled-out setup).
A conversation has at most one open hand-over (waiting or claimed): the
database enforces it with a partial unique index, so asking twice, or two
replicas racing, never makes a second record.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

ROOT = Path(__file__).resolve().parent.parent
DB_URL_ENV = "HANDOVER_DB_URL"
DEFAULT_DB_PATH = ROOT / "state" / "handovers.db"

STATUS_WAITING = "waiting"
STATUS_CLAIMED = "claimed"
STATUS_RESOLVED = "resolved"
OPEN_STATUSES = (STATUS_WAITING, STATUS_CLAIMED)

metadata = sa.MetaData()
_open_clause = sa.text("status IN ('waiting', 'claimed')")
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
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_handovers_status_created", "status", "created_at"),
    sa.Index(
        "uq_handovers_open_conversation",
        "conversation_id",
        unique=True,
        sqlite_where=_open_clause,
        postgresql_where=_open_clause,
    ),
)


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
    status: str = STATUS_WAITING
    id: Optional[int] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        for key in ("created_at", "updated_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def default_url() -> str:
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{DEFAULT_DB_PATH}"


class HandOverStore:
    """Reads and writes hand-over records; safe to share between threads."""

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
        return engine

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
            row = conn.execute(handovers.select().where(handovers.c.id == handover_id)).mappings().first()
        return _from_row(row) if row else None

    def list(self, status: Optional[str] = None) -> List[HandOver]:
        query = handovers.select().order_by(handovers.c.created_at, handovers.c.id)
        if status:
            query = query.where(handovers.c.status == status)
        with self.engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query).mappings()]

    def create_or_get_open(self, record: HandOver) -> tuple[HandOver, bool]:
        """Store ``record`` unless the conversation already has an open hand-over.

        Returns the stored record and whether it is new.
        """
        existing = self.open_for(record.conversation_id)
        if existing:
            return existing, False
        now = datetime.now(timezone.utc)
        values = record.to_dict()
        for key in ("id", "created_at", "updated_at"):
            values.pop(key)
        values.update(
            transcript=json.dumps(record.transcript, ensure_ascii=False),
            status=STATUS_WAITING,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.engine.begin() as conn:
                result = conn.execute(handovers.insert().values(**values))
                new_id = result.inserted_primary_key[0]
        except IntegrityError:
            # Another request opened one between our check and our insert.
            existing = self.open_for(record.conversation_id)
            if existing is None:
                raise
            return existing, False
        stored = self.get(new_id)
        assert stored is not None
        return stored, True

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _from_row(row: Any) -> HandOver:
    data = dict(row)
    data["transcript"] = json.loads(data["transcript"])
    for key in ("created_at", "updated_at"):
        value = data[key]
        if value is not None and value.tzinfo is None:
            data[key] = value.replace(tzinfo=timezone.utc)  # SQLite drops the zone
    return HandOver(**data)
