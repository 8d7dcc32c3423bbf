"""The hand-over store on SQLite (the default) and, where it runs, PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from handover.records import STATUS_RESOLVED, HandOver, HandOverConflict, HandOverNotFound
from handover.schema import handovers
from handover.store import HandOverStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        store = HandOverStore(f"sqlite:///{tmp_path / 'sub' / 'handovers.db'}")
    else:
        store = HandOverStore(request.getfixturevalue("postgres_url"))
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


# --- the desk's steps ----------------------------------------------------------


def test_one_agent_at_a_time_claims_a_hand_over(store):
    stored, _ = store.create_or_get_open(record(f"c-{uuid.uuid4()}"))
    claimed, now = store.claim(stored.id, "alice")
    assert now and claimed.status == "claimed" and claimed.claimed_by == "alice"
    assert claimed.claimed_at is not None
    again, now = store.claim(stored.id, "alice")
    assert not now and again.claimed_by == "alice"
    with pytest.raises(HandOverConflict, match="claimed by alice"):
        store.claim(stored.id, "bob")


def test_racing_claims_have_one_winner(store):
    stored, _ = store.create_or_get_open(record(f"c-{uuid.uuid4()}"))
    barrier = threading.Barrier(6)
    winners, losers = [], []

    def worker(agent):
        barrier.wait()
        try:
            winners.append(store.claim(stored.id, agent)[0].claimed_by)
        except HandOverConflict:
            losers.append(agent)

    threads = [threading.Thread(target=worker, args=(f"agent{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(losers) == 5
    assert store.get(stored.id).claimed_by == winners[0]


def test_only_the_claiming_agent_replies_releases_and_resolves(store):
    stored, _ = store.create_or_get_open(record(f"c-{uuid.uuid4()}"))
    with pytest.raises(HandOverConflict, match="claim it before you reply"):
        store.record_reply(stored.id, "alice", "hello")
    store.claim(stored.id, "alice")
    for step in (
        lambda: store.record_reply(stored.id, "bob", "hello"),
        lambda: store.release(stored.id, "bob"),
        lambda: store.resolve(stored.id, "bob", "resumed"),
    ):
        with pytest.raises(HandOverConflict, match="claimed by alice"):
            step()
    store.record_reply(stored.id, "alice", "Hello, I'm Alice ✋")
    released = store.release(stored.id, "alice")
    assert released.status == "waiting" and released.claimed_by is None
    store.claim(stored.id, "bob")
    resolved = store.resolve(stored.id, "bob", "closed")
    assert (resolved.status, resolved.outcome, resolved.resolved_by) == ("resolved", "closed", "bob")
    with pytest.raises(HandOverConflict, match="already resolved"):
        store.claim(stored.id, "alice")
    kinds = [(e.kind, e.actor) for e in store.events(stored.id)]
    assert kinds == [
        ("created", "assistant"),
        ("claimed", "alice"),
        ("reply", "alice"),
        ("released", "alice"),
        ("claimed", "bob"),
        ("resolved", "bob"),
    ]
    assert store.events(stored.id)[2].detail == {"text": "Hello, I'm Alice ✋"}


def test_unknown_ids_and_outcomes_are_refused(store):
    with pytest.raises(HandOverNotFound):
        store.claim(987654, "alice")
    with pytest.raises(HandOverNotFound):
        store.resolve(987654, "alice", "resumed")
    stored, _ = store.create_or_get_open(record(f"c-{uuid.uuid4()}"))
    store.claim(stored.id, "alice")
    with pytest.raises(ValueError, match="outcome must be one of resumed, closed"):
        store.resolve(stored.id, "alice", "done")


def test_a_long_wait_is_noticed_once(store):
    stored, _ = store.create_or_get_open(record(f"c-{uuid.uuid4()}"))
    future = datetime.now(timezone.utc) + timedelta(seconds=5)
    assert stored.id in [h.id for h in store.waiting_since_before(future)]
    assert stored.id not in [h.id for h in store.waiting_since_before(stored.created_at)]
    results = []
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        results.append(store.mark_client_notified(stored.id, "email", 601))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    noted = store.get(stored.id)
    assert noted.follow_up == "email" and noted.client_notified_at is not None
    assert stored.id not in [h.id for h in store.waiting_since_before(future)]
    assert store.events(stored.id)[-1].detail == {"follow_up": "email", "waited_seconds": 601}


def test_suggestion_feedback_is_counted_per_macro(store):
    macro = f"macro-{uuid.uuid4().hex[:8]}"
    for action in ("sent_as_is", "sent_as_is", "edited", "ignored"):
        store.feedback.record("alice", macro, action, conversation_id="c", confidence=0.9, intent="ask_what_if")
    assert store.feedback.summary()[macro] == {"sent_as_is": 2, "edited": 1, "ignored": 1}
    with pytest.raises(ValueError, match="action must be one of"):
        store.feedback.record("alice", macro, "loved")


def test_the_outbox_is_written_with_the_hand_over_and_delivered_once(store):
    cid = f"c-{uuid.uuid4()}"
    stored, _ = store.create_or_get_open(record(cid), outbox_payload=lambda h: {"conversation": h.conversation_id})
    items = [i for i in store.outbox.items(stored.id)]
    assert len(items) == 1
    body = json.loads(items[0].payload)
    assert body["conversation"] == cid and body["event"] == "handover.created"
    assert body["delivery_id"] == items[0].delivery_id
    due = [i for i in store.outbox.due(limit=1000) if i.handover_id == stored.id]
    assert len(due) == 1
    assert store.outbox.lease(due[0], 30) is True
    assert store.outbox.lease(due[0], 30) is False  # a second worker does not get it
    assert not [i for i in store.outbox.due(limit=1000) if i.handover_id == stored.id]
    store.outbox.mark_failed(due[0].id, "HTTP 503", retry_in=0)
    again = [i for i in store.outbox.due(limit=1000) if i.handover_id == stored.id]
    assert again[0].attempts == 1 and again[0].last_error == "HTTP 503"
    store.outbox.mark_delivered(again[0].id)
    assert not [i for i in store.outbox.due(limit=1000) if i.handover_id == stored.id]
    assert store.outbox.items(stored.id)[0].delivered_at is not None


def test_an_older_database_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    """A hand-over table of the first release (no desk columns) is brought up to date."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE handovers (id INTEGER PRIMARY KEY, conversation_id VARCHAR(255) NOT NULL, "
                "status VARCHAR(16) NOT NULL, reason VARCHAR(64) NOT NULL, intent VARCHAR(64), confidence FLOAT, "
                "concern VARCHAR(255), contract_type VARCHAR(64), macro_id VARCHAR(128), script_sent VARCHAR(128), "
                "link_sent VARCHAR(2048), kb_title VARCHAR(255), kb_section VARCHAR(255), transcript TEXT NOT NULL, "
                "created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO handovers (conversation_id, status, reason, transcript, created_at, updated_at) "
                "VALUES ('old-1', 'waiting', 'client_asked_for_person', '[]', '2026-11-01 10:00:00', "
                "'2026-11-01 10:00:00')"
            )
        )
    engine.dispose()
    store = HandOverStore(url)
    old = store.open_for("old-1")
    assert old is not None and old.claimed_by is None
    claimed, _ = store.claim(old.id, "alice")
    assert claimed.claimed_by == "alice"
    store.dispose()


# --- a client who ends the chat (the widget's "End chat") ---------------------------------------


def test_a_client_who_ends_the_chat_takes_the_waiting_hand_over_out_of_the_queue(store):
    cid, behind = f"c-{uuid.uuid4()}", f"c-{uuid.uuid4()}"
    stored, _ = store.create_or_get_open(record(cid))
    waiting_behind, _ = store.create_or_get_open(record(behind))
    before = store.open_counts()["waiting"]
    left = store.client_left(cid)
    assert left is not None and left.id == stored.id
    assert (left.status, left.outcome, left.resolved_by, left.claimed_by) == ("resolved", "client_left", None, None)
    assert left.resolved_at is not None
    assert store.open_for(cid) is None  # nobody can claim it any more
    assert stored.id not in [h.id for h in store.list("waiting")] and waiting_behind in store.list("waiting")
    assert store.open_counts()["waiting"] == before - 1  # the client behind it moved up
    step = store.events(stored.id)[-1]
    assert (step.kind, step.actor, step.detail["was"]) == ("client_left", "client", "waiting")
    with pytest.raises(HandOverConflict, match="already resolved"):
        store.claim(stored.id, "alice")
    assert store.client_left(cid) is None  # a second "End chat" (or another replica) changes nothing
    assert store.client_left(f"c-{uuid.uuid4()}") is None  # a chat with no hand-over: nothing happens
    assert [e.kind for e in store.events(stored.id)].count("client_left") == 1


def test_a_client_who_leaves_a_claimed_chat_ends_it_but_never_an_agent_s_resolution(store):
    claimed_cid, resolved_cid = f"c-{uuid.uuid4()}", f"c-{uuid.uuid4()}"
    claimed, _ = store.create_or_get_open(record(claimed_cid))
    store.claim(claimed.id, "alice")
    left = store.client_left(claimed_cid)
    assert (left.outcome, left.claimed_by, left.resolved_by) == ("client_left", "alice", None)  # alice had joined
    with pytest.raises(HandOverConflict, match="already resolved"):
        store.record_reply(claimed.id, "alice", "are you still there?")  # nobody to reply to
    with pytest.raises(HandOverConflict, match="already resolved"):
        store.resolve(claimed.id, "alice", "closed")

    resolved, _ = store.create_or_get_open(record(resolved_cid))
    store.claim(resolved.id, "bob")
    store.resolve(resolved.id, "bob", "resumed")
    assert store.client_left(resolved_cid) is None
    kept = store.get(resolved.id)
    assert (kept.outcome, kept.resolved_by) == ("resumed", "bob")
    with pytest.raises(ValueError, match="outcome must be one of resumed, closed"):
        store.resolve(store.create_or_get_open(record(f"c-{uuid.uuid4()}"))[0].id, "bob", "client_left")


def test_racing_ends_and_resolutions_have_one_winner(store):
    cid = f"c-{uuid.uuid4()}"
    stored, _ = store.create_or_get_open(record(cid))
    store.claim(stored.id, "alice")
    barrier = threading.Barrier(6)
    results = []

    def client():
        barrier.wait()
        results.append("client_left" if store.client_left(cid) else None)

    def agent():
        barrier.wait()
        try:
            results.append(store.resolve(stored.id, "alice", "closed").outcome)
        except HandOverConflict:
            results.append(None)

    threads = [threading.Thread(target=client) for _ in range(5)] + [threading.Thread(target=agent)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r]
    assert len(winners) == 1 and store.get(stored.id).outcome == winners[0]
    ends = [e.kind for e in store.events(stored.id) if e.kind in ("client_left", "resolved")]
    assert ends == [winners[0] if winners[0] == "client_left" else "resolved"]


def test_the_help_desk_that_got_the_hand_over_hears_the_client_left(store):
    cid = f"c-{uuid.uuid4()}"
    stored, _ = store.create_or_get_open(record(cid), outbox_payload=lambda h: {"conversation": h.conversation_id})
    store.client_left(cid)
    events = [json.loads(i.payload) for i in store.outbox.items(stored.id)]
    assert [e["event"] for e in events] == ["handover.created", "handover.client_left"]
    assert events[1]["handover_id"] == stored.id and events[1]["conversation_id"] == cid
    assert events[1]["was"] == "waiting" and events[1]["left_at"]
    quiet = f"c-{uuid.uuid4()}"  # no help desk configured: nothing queued
    unsent, _ = store.create_or_get_open(record(quiet))
    store.client_left(quiet)
    assert store.outbox.items(unsent.id) == []
