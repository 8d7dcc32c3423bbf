"""Insights of hand-overs the client left (the widget's "End chat"), on SQLite and PostgreSQL.

A client who ends the chat before any agent held it left while waiting: the
conversation is *abandoned* (or *nobody available* when it had been told an
e-mail follows), not handed over. One who ends it while an agent holds it was
handed over, and the hand-over ended ``client_left``: never counted as resolved
by an agent (no time to resolve, no rating offered).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from handover.ratings import RatingLog
from handover.records import HandOver, now
from handover.store import HandOverStore
from insights import figures
from insights.keeper import SummaryKeeper
from insights.period import Period
from insights.table import chosen_fields, to_csv
from tests.helpers.insights_data import Conversation
from tests.helpers.services import seeded_database

ASKED = "client_asked_for_person"
WINDOW = timedelta(hours=24)


def seed(store: HandOverStore) -> None:
    keeper, start = SummaryKeeper(store), now() - timedelta(hours=2)
    for name in ("left-waiting", "left-told", "left-claimed", "closed"):
        Conversation(name, start).user("request_human").action("action_hand_over").save(keeper)
        store.create_or_get_open(HandOver(conversation_id=name, reason=ASKED, transcript=[]))
    store.mark_client_notified(store.open_for("left-told").stored_id, "email", 600)
    for name in ("left-claimed", "closed"):
        store.claim(store.open_for(name).stored_id, "alice")
    closed = store.resolve(store.open_for("closed").stored_id, "alice", "closed")
    RatingLog(store).rate("closed", f"resolution:{closed.id}", True)
    for name in ("left-waiting", "left-told", "left-claimed"):
        assert store.client_left(name) is not None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, tmp_path_factory):
    with seeded_database(request.param, tmp_path_factory.mktemp("insights"), HandOverStore, seed) as store:
        yield store


def test_a_client_who_left_is_not_counted_as_resolved_by_an_agent(seeded):
    today = now().date()
    period = Period(today - timedelta(days=1), today)  # the conversations started two hours ago
    totals = figures.insights(seeded, period, now(), WINDOW)["totals"]
    assert totals["conversations"] == 4
    assert totals["outcomes"]["abandoned"] == 1  # left while waiting
    assert totals["outcomes"]["nobody_available"] == 1  # told an e-mail follows, then left
    assert totals["outcomes"]["handed_over"] == 2
    assert totals["handed_over_ended"] == {"resumed": 0, "closed": 1, "client_left": 1, "open": 0}
    assert totals["time_to_resolve_seconds"]["count"] == 1  # alice's resolution only
    assert totals["time_to_claim_seconds"]["count"] == 2
    assert totals["csat"]["agent_handled"]["response_rate"] == 1.0  # only the resolved chat was offered a rating
    table = to_csv(
        figures.insights(seeded, period, now(), WINDOW),
        chosen_fields("abandoned,ended_closed,ended_client_left"),
    )
    assert table.splitlines()[-1] == "total,1,1,1"
