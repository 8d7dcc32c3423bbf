"""What a client was told at hand-over is kept: on the record, in the desk's summary, in insights."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from desk.views import summary
from handover.records import AVAILABILITY_OUTSIDE_HOURS, HandOver
from handover.store import HandOverStore
from insights.schema import ensure
from insights.table import chosen_fields, to_csv
from tests.helpers.paths import ROOT
from toolkit.library import load_library

LIBRARY = load_library(ROOT / "toolkit" / "client_toolkit.yml")


def test_the_summary_an_agent_sees_says_what_the_client_was_told(tmp_path):
    store = HandOverStore(f"sqlite:///{tmp_path / 'handovers.db'}")
    record = HandOver("conv-1", "client_asked_for_person", [], availability=AVAILABILITY_OUTSIDE_HOURS)
    stored, _ = store.create_or_get_open(record)
    assert store.get(stored.stored_id).availability == AVAILABILITY_OUTSIDE_HOURS
    assert summary(stored, LIBRARY, datetime.now(timezone.utc))["availability"] == "outside_hours"
    store.dispose()


def test_tables_of_an_earlier_version_gain_the_availability_columns(tmp_path):
    path = tmp_path / "old.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # as an earlier version made them, without the column
        conn.execute(sa.text("CREATE TABLE handovers (id INTEGER PRIMARY KEY, conversation_id VARCHAR(255) NOT NULL)"))
        conn.execute(
            sa.text(
                "CREATE TABLE handover_insights (handover_id INTEGER PRIMARY KEY, conversation_id VARCHAR(255),"
                " started_day VARCHAR(10), reason VARCHAR(64), created_at DATETIME, first_claimed_at DATETIME,"
                " resolved_at DATETIME, notified INTEGER)"
            )
        )
    store = HandOverStore(f"sqlite:///{path}")
    ensure(store.engine)
    inspector = sa.inspect(store.engine)
    assert "availability" in {c["name"] for c in inspector.get_columns("handovers")}
    assert "availability" in {c["name"] for c in inspector.get_columns("handover_insights")}
    assert "agent_presence" in inspector.get_table_names()
    store.dispose()
    engine.dispose()


def test_the_csv_has_a_column_per_case():
    told = {"online": 4, "nobody_online": 1, "outside_hours": 2, "unknown": 0}
    result = {"series": [{"start": "2026-11-14", "handovers_by_availability": told}], "totals": {}}
    fields = chosen_fields("handovers_online,handovers_nobody_online,handovers_outside_hours")
    assert to_csv(result, fields).splitlines()[:2] == [
        "start,handovers_online,handovers_nobody_online,handovers_outside_hours",
        "2026-11-14,4,1,2",
    ]
