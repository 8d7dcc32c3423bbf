"""Prometheus metrics of the Rasa server, in the text format at ``GET /metrics``.

Two kinds, so several replicas add up right:

- **per replica**, counted by the process that did the work: messages
  received and answered, per-message latency, intents predicted, fallbacks,
  scripts and links sent, client ratings, time to claim. Scrape every
  replica; ``sum by (...)`` over the ``instance`` label gives the totals.
- **from the shared hand-over database**, read at each scrape: the waiting
  queue's length, hand-overs by reason, suggestion feedback. Every replica
  reports the same value: use ``max`` (not ``sum``) across replicas.

The action server has no metrics of its own: every action it runs is seen by
the Rasa server (its events are counted here), and the hand-overs it creates
are read from the database.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional

from prometheus_client import CollectorRegistry, Counter, Histogram, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from handover.schema import Database

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus reads (our names need no escaping)

MESSAGES_RECEIVED = Counter("assistant_messages_received", "Client messages received", ["channel"], registry=REGISTRY)
MESSAGES_ANSWERED = Counter(
    "assistant_messages_answered", "Client messages handled without an error", ["channel"], registry=REGISTRY
)
MESSAGE_SECONDS = Histogram(
    "assistant_message_seconds",
    "Time to handle one client message, from receiving it to the bot's last answer",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
INTENTS = Counter("assistant_intents_predicted", "Intents predicted for client messages", ["intent"], registry=REGISTRY)
FALLBACKS = Counter(
    "assistant_fallbacks", "Messages the bot could not place (fallback) or asked about (clarification)", ["kind"],
    registry=REGISTRY,
)  # fmt: skip
SCRIPTS = Counter("assistant_scripts_sent", "Scripts of the macro library sent", ["macro"], registry=REGISTRY)
LINKS = Counter("assistant_links_sent", "Help links sent", ["macro"], registry=REGISTRY)
RATINGS = Counter(
    "assistant_client_ratings", "Client ratings (Did this help?) given or changed", ["step", "helpful"],
    registry=REGISTRY,
)  # fmt: skip
TIME_TO_CLAIM = Histogram(
    "assistant_time_to_claim_seconds",
    "From a hand-over to an agent claiming it",
    buckets=(15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 86400),
    registry=REGISTRY,
)


class Timer:
    """Times one client message into the histogram; counts it received, and answered unless refused."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        MESSAGES_RECEIVED.labels(channel).inc()
        self._start = time.perf_counter()

    def done(self, answered: bool) -> None:
        MESSAGE_SECONDS.labels(self.channel).observe(time.perf_counter() - self._start)
        if answered:
            MESSAGES_ANSWERED.labels(self.channel).inc()


def count_events(events: Iterable[Dict[str, Any]]) -> None:
    """Count a conversation's newly saved events (each counted once, by the summary keeper)."""
    for event in events:
        kind = event.get("event")
        if kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent:
                INTENTS.labels(intent).inc()
        elif kind == "action":
            name = event.get("name")
            if name == "action_default_fallback":
                FALLBACKS.labels("fallback").inc()
            elif name == "action_clarify_meaning":
                FALLBACKS.labels("clarification").inc()
        elif kind == "slot" and event.get("value"):
            if event.get("name") == "script_sent":
                SCRIPTS.labels(event.get("_macro") or str(event["value"])).inc()
            elif event.get("name") == "link_sent":
                LINKS.labels(event.get("_macro") or str(event["value"])).inc()


def observe_claim(created_at: Any, claimed_at: Any) -> None:
    if created_at is not None and claimed_at is not None:
        TIME_TO_CLAIM.observe(max(0.0, (claimed_at - created_at).total_seconds()))


def observe_rating(step_kind: str, helpful: bool) -> None:
    RATINGS.labels(step_kind, "true" if helpful else "false").inc()


class StoreCollector:
    """What every replica reads from the shared hand-over database at a scrape."""

    def __init__(self) -> None:
        self.db: Optional[Database] = None

    def collect(self) -> Iterator[Any]:
        if self.db is None:
            return
        import sqlalchemy as sa

        from handover.schema import handovers, suggestion_feedback

        up = GaugeMetricFamily("assistant_handover_store_up", "1 when the hand-over database answered this scrape")
        try:
            with self.db.engine.connect() as conn:
                waiting = conn.execute(
                    sa.select(sa.func.count()).select_from(handovers).where(handovers.c.status == "waiting")
                ).scalar_one()
                reasons = conn.execute(
                    sa.select(handovers.c.reason, sa.func.count()).group_by(handovers.c.reason)
                ).all()
                feedback = conn.execute(
                    sa.select(suggestion_feedback.c.action, sa.func.count()).group_by(suggestion_feedback.c.action)
                ).all()
        except Exception:  # noqa: BLE001 - a scrape says the store is down rather than failing
            logger.exception("metrics: the hand-over database did not answer")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queue = GaugeMetricFamily("assistant_handovers_waiting", "Hand-overs waiting for an agent (shared database)")
        queue.add_metric([], waiting)
        yield queue
        yield _counter("assistant_handovers", "Hand-overs created, by reason (shared database)", "reason", reasons)
        yield _counter(
            "assistant_suggestion_feedback", "What agents did with suggestions (shared database)", "action", feedback
        )


def _counter(name: str, help_text: str, label: str, rows: List[Any]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, help_text, labels=[label])
    for value, number in rows:
        family.add_metric([str(value)], number)
    return family


STORE = StoreCollector()
REGISTRY.register(STORE)


def use_database(db: Database) -> None:
    """The hand-over database the scrape reads (the one the desk uses)."""
    STORE.db = db


def exposition() -> bytes:
    return generate_latest(REGISTRY)
