"""Who is at the desk: each agent's presence, kept in the hand-over database for every replica.

An open desk page sends a heartbeat every ~20 s (``desk/presence.py``), saying
whether the agent used the page since the last one. From those:

- **offline**: no heartbeat for ``EXPIRY`` (the page is closed, the laptop
  asleep), or the agent chose "offline" by hand;
- **away**: the page is open but nobody used it for ``IDLE``, or the agent
  chose "away";
- **online**: the page is open and used, or the agent chose "online" (while a
  page is open).

The action server reads the same table at a hand-over (``handover/announce.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy.exc import IntegrityError

from handover.records import aware
from handover.schema import Database, agent_presence

ONLINE, AWAY, OFFLINE, AUTO = "online", "away", "offline", "auto"
STATUSES = (ONLINE, AWAY, OFFLINE)
CHOICES = STATUSES + (AUTO,)  # what an agent may set by hand; auto follows the page
EXPIRY = timedelta(seconds=60)  # three missed heartbeats
IDLE = timedelta(minutes=5)
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Presence:
    agent: str
    status: str  # what the desk and the hand-over see
    chosen: str  # what the agent set by hand (auto: follows the page)
    last_seen: Optional[datetime]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "agent": self.agent,
            "status": self.status,
            "chosen": self.chosen,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
        }


def status_of(chosen: str, last_seen: Optional[datetime], last_active: Optional[datetime], at: datetime) -> str:
    if last_seen is None or at - last_seen > EXPIRY or chosen == OFFLINE:
        return OFFLINE
    if chosen in (ONLINE, AWAY):
        return chosen
    return ONLINE if last_active is not None and at - last_active <= IDLE else AWAY


class PresenceBook:
    """Reads and writes ``agent_presence``; safe to share between threads."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def heartbeat(self, agent: str, at: datetime, active: bool, chosen: Optional[str] = None) -> Presence:
        """The page of ``agent`` is open (``active``: used since the last one); ``chosen`` sets a status by hand."""
        if chosen is not None and chosen not in CHOICES:
            raise ValueError(f"status must be one of {', '.join(CHOICES)}, not {chosen!r}")
        values: Dict[str, Any] = {"last_seen": at}
        if active:
            values["last_active"] = at
        if chosen is not None:
            values["status"] = chosen
        self._upsert(agent, values)
        return self.get(agent, at)

    def leave(self, agent: str) -> None:
        """The page closed: offline now, not at the expiry (the choice made by hand stays)."""
        self._upsert(agent, {"last_seen": _EPOCH})

    def get(self, agent: str, at: datetime) -> Presence:
        with self.db.engine.connect() as conn:
            row = conn.execute(agent_presence.select().where(agent_presence.c.agent == agent)).mappings().first()
        if row is None:
            return Presence(agent, OFFLINE, AUTO, None)
        return _presence(row, at)

    def everyone(self, at: datetime, agents: Optional[List[str]] = None) -> List[Presence]:
        """Every agent seen (and each of ``agents``, offline when never seen), by name."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(agent_presence.select().order_by(agent_presence.c.agent)).mappings().all()
        found = {row["agent"]: _presence(row, at) for row in rows}
        for agent in agents or ():
            found.setdefault(agent, Presence(agent, OFFLINE, AUTO, None))
        return [found[name] for name in sorted(found)]

    def online(self, at: datetime) -> List[str]:
        """The agents online now: seen within the expiry, and not away or offline."""
        cutoff = at - EXPIRY
        query = agent_presence.select().where(agent_presence.c.last_seen >= cutoff)
        with self.db.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return sorted(p.agent for p in (_presence(row, at) for row in rows) if p.status == ONLINE)

    def _upsert(self, agent: str, values: Dict[str, Any]) -> None:
        table = agent_presence
        for attempt in range(2):  # a racing first heartbeat of the same agent: the second try updates
            try:
                with self.db.engine.begin() as conn:
                    if conn.execute(table.update().where(table.c.agent == agent).values(**values)).rowcount:
                        return
                    conn.execute(table.insert().values(agent=agent, **{"status": AUTO, **values}))
                    return
            except IntegrityError:
                if attempt:
                    raise


def _presence(row: Any, at: datetime) -> Presence:
    last_seen, last_active = aware(row["last_seen"]), aware(row["last_active"])
    chosen = row["status"] or AUTO
    return Presence(row["agent"], status_of(chosen, last_seen, last_active, at), chosen, last_seen)


__all__ = ["AUTO", "AWAY", "CHOICES", "OFFLINE", "ONLINE", "PresenceBook", "Presence"]
