"""Raised again once, announced once: two replicas (or two loops) share the hand-over database.

Each "replica" here is a LiveDesk with its own store object and its own
socket.io server stand-in, on one database (SQLite, and PostgreSQL when it runs).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from channels import live as client_live
from channels.shapes import room_of
from desk.live import LiveDesk
from handover.records import HandOver, now
from handover.schema import handovers
from handover.store import HandOverStore
from settings.desk import DeskSettings
from tests.helpers.agents import AGENTS


class Emits:
    """Stands in for the socket.io server: what was emitted, to which room."""

    def __init__(self) -> None:
        self.sent = []

    async def emit(self, event, data, room=None, namespace=None):
        self.sent.append((event, data, room, namespace))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'handovers.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def replica(url, reraise_seconds=120.0):
    store = HandOverStore(url)
    desk = SimpleNamespace(settings=DeskSettings(agents=AGENTS, reraise_seconds=reraise_seconds), store=store)
    live = LiveDesk(desk)
    live.sio = Emits()
    return live


def waiting_for(store, seconds, conversation="c"):
    record = HandOver(
        conversation_id=conversation + now().strftime("%f"), reason="client_asked_for_person", transcript=[]
    )
    stored, _ = store.create_or_get_open(record)
    with store.engine.begin() as conn:
        conn.execute(
            handovers.update().where(handovers.c.id == stored.id).values(created_at=now() - timedelta(seconds=seconds))
        )
    return stored


def sent(replicas, event):
    return [data for r in replicas for (name, data, _, _) in r.sio.sent if name == event]


async def test_a_long_wait_is_raised_again_once_however_many_replicas_and_loops_check(db_url):
    replicas = [replica(db_url, reraise_seconds=60) for _ in range(2)]
    store = replicas[0].desk.store
    old = waiting_for(store, 300, "old")
    fresh = waiting_for(store, 5, "fresh")
    claimed = waiting_for(store, 300, "claimed")
    store.claim(claimed.id, "alice")
    for _ in range(3):  # three rounds of the background loop, both replicas at once, twice each
        await asyncio.gather(*(r.reraise_long_waits() for r in replicas for _ in range(2)))
    mine = {old.id, fresh.id, claimed.id}  # the database may hold other tests' hand-overs
    raised = [d for d in sent(replicas, "handover_reraised") if d["handover"]["id"] in mine]
    assert [d["handover"]["id"] for d in raised] == [old.id]  # once; neither the fresh nor the claimed one
    assert raised[0]["handover"]["reraised_at"] and raised[0]["by"] is None
    assert [e.kind for e in store.events(old.id)].count("reraised") == 1
    assert store.require(fresh.id).reraised_at is None and store.require(claimed.id).reraised_at is None
    for r in replicas:
        r.desk.store.dispose()


async def test_a_hand_over_no_push_announced_is_announced_once_by_the_safety_net(db_url):
    replicas = [replica(db_url) for _ in range(3)]
    store = replicas[0].desk.store
    missed = waiting_for(store, 30, "missed")
    told = waiting_for(store, 30, "told")
    assert store.mark_announced(told.id)  # a push already told agent pages of this one
    await asyncio.gather(*(r.announce_missed() for r in replicas))
    await asyncio.gather(*(r.announce_missed() for r in replicas))
    mine = {missed.id, told.id}  # the database may hold other tests' hand-overs
    assert [d["handover"]["id"] for d in sent(replicas, "handover_new") if d["handover"]["id"] in mine] == [missed.id]
    for r in replicas:
        r.desk.store.dispose()


async def test_a_client_message_is_kept_masked_on_its_hand_over_and_pushed_once(db_url):
    live = replica(db_url)
    store = live.desk.store
    await live.after_client_message("nobody", "hello")  # no hand-over: nothing to push
    assert live.sio.sent == []
    handover = waiting_for(store, 1, "talk")
    await live.after_client_message(handover.conversation_id, "this opened it")
    await live.after_client_message(handover.conversation_id, "call me on +44 20 7946 0958")
    assert [name for name, *_ in live.sio.sent if name != "queue_position"] == ["handover_new", "client_message"]
    message = sent([live], "client_message")[0]
    assert message["handover_id"] == handover.id and "7946" not in message["text"]
    assert store.require(handover.id).last_client_text == message["text"]
    with store.engine.connect() as conn:  # nothing unmasked in the database either
        assert "7946" not in str(conn.execute(sa.select(handovers.c.last_client_text)).all())
    store.dispose()


async def test_each_waiting_client_hears_its_place_and_moves_up_when_the_one_ahead_is_claimed(db_url, monkeypatch):
    chats = Emits()  # the client channel's socket.io server
    monkeypatch.setattr(client_live, "_sio", chats)
    live = replica(db_url)
    store = live.desk.store
    with store.engine.begin() as conn:  # the database is this module's: an empty queue to start with
        conn.execute(handovers.update().where(handovers.c.status == "waiting").values(status="resolved"))
    waiting = [waiting_for(store, seconds, name) for seconds, name in ((30, "a"), (20, "b"), (10, "c"))]

    def places():
        told = {room: data["position"] for name, data, room, _ in chats.sent if name == "queue_position"}
        chats.sent.clear()
        return told

    for handover in reversed(waiting):  # announced in any order: each hears its own place
        await live.after_client_message(handover.conversation_id, "is anyone there?")
    a, b, c = (room_of(h.conversation_id, True) for h in waiting)
    assert places() == {a: 1, b: 2, c: 3}
    claimed, _ = store.claim(waiting[0].id, "alice")
    await live.step("claimed", claimed, "alice")
    assert places() == {b: 1, c: 2}
    store.dispose()
