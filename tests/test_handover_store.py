"""The hand-over store on SQLite (the default) and, where it runs, PostgreSQL."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import sqlalchemy as sa

from actions.handover_store import STATUS_RESOLVED, HandOver, HandOverStore, handovers

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        store = HandOverStore(f"sqlite:///{tmp_path / 'sub' / 'handovers.db'}")
    else:
        if not _postgres_available():
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} under CI")
            pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        store = HandOverStore(POSTGRES_URL)
    yield store
    store.dispose()


def record(conversation_id: str, **extra) -> HandOver:
    return HandOver(
        conversation_id=conversation_id,
        reason="client_asked_for_person",
        transcript=[{"from": "client", "text": "un humain s'il vous plaît 🙏", "time": None}],
        **extra,
    )


def test_a_record_round_trips_with_its_transcript(store):
    cid = f"c-{uuid.uuid4()}"
    stored, created = store.create_or_get_open(record(cid, intent="request_human", confidence=0.97, concern="conduct"))
    assert created
    again = store.get(stored.id)
    assert again.conversation_id == cid
    assert again.transcript[0]["text"] == "un humain s'il vous plaît 🙏"
    assert (again.intent, again.confidence, again.concern) == ("request_human", 0.97, "conduct")
    assert again.status == "waiting"
    assert again.created_at.tzinfo is not None
    assert stored in store.list(status="waiting")


def test_one_open_hand_over_per_conversation(store):
    cid = f"c-{uuid.uuid4()}"
    first, created_first = store.create_or_get_open(record(cid))
    second, created_second = store.create_or_get_open(record(cid))
    assert (created_first, created_second) == (True, False)
    assert second.id == first.id


def test_a_new_hand_over_after_the_last_was_resolved(store):
    cid = f"c-{uuid.uuid4()}"
    first, _ = store.create_or_get_open(record(cid))
    with store.engine.begin() as conn:
        conn.execute(handovers.update().where(handovers.c.id == first.id).values(status=STATUS_RESOLVED))
    second, created = store.create_or_get_open(record(cid))
    assert created and second.id != first.id


def test_racing_writers_make_one_record(store):
    cid = f"c-{uuid.uuid4()}"
    results = []
    barrier = threading.Barrier(6)

    def worker():
        barrier.wait()
        results.append(store.create_or_get_open(record(cid)))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.id for r, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_the_sqlite_file_survives_a_new_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'handovers.db'}"
    first = HandOverStore(url)
    stored, _ = first.create_or_get_open(record("c-persist"))
    first.dispose()
    second = HandOverStore(url)
    assert second.open_for("c-persist").id == stored.id
    second.dispose()
