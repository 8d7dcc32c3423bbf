"""Who is at the desk: heartbeats, idle, expiry, and a status set by hand, shared through the database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from handover.presence import AWAY, OFFLINE, ONLINE, PresenceBook
from handover.store import HandOverStore
from tests.helpers.services import throwaway_postgres_database

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def book(tmp_path):
    store = HandOverStore(f"sqlite:///{tmp_path / 'handovers.db'}")
    yield PresenceBook(store)
    store.dispose()


def status(book, agent, at):
    return book.get(agent, at).status


def test_an_open_page_in_use_is_online_and_one_never_seen_is_offline(book):
    book.heartbeat("alice", T0, active=True)
    assert status(book, "alice", T0 + timedelta(seconds=20)) == ONLINE
    assert status(book, "bob", T0) == OFFLINE
    assert book.online(T0 + timedelta(seconds=20)) == ["alice"]


def test_no_input_for_minutes_is_away_and_input_again_is_online(book):
    book.heartbeat("alice", T0, active=True)
    for second in range(20, 400, 20):  # the page stays open, nobody touches it
        book.heartbeat("alice", T0 + timedelta(seconds=second), active=False)
    at = T0 + timedelta(seconds=400)
    assert status(book, "alice", at) == AWAY and book.online(at) == []
    book.heartbeat("alice", at, active=True)
    assert status(book, "alice", at) == ONLINE


def test_no_heartbeat_for_a_minute_is_offline_and_a_closed_page_at_once(book):
    book.heartbeat("alice", T0, active=True)
    assert status(book, "alice", T0 + timedelta(seconds=59)) == ONLINE
    assert status(book, "alice", T0 + timedelta(seconds=61)) == OFFLINE
    book.heartbeat("bob", T0, active=True)
    book.leave("bob")
    assert status(book, "bob", T0 + timedelta(seconds=1)) == OFFLINE


def test_a_status_set_by_hand_holds_while_the_page_is_open(book):
    book.heartbeat("alice", T0, active=True, chosen=AWAY)
    assert status(book, "alice", T0) == AWAY  # in use, but she said away
    book.heartbeat("alice", T0 + timedelta(seconds=20), active=True)  # later heartbeats keep the choice
    assert book.get("alice", T0 + timedelta(seconds=20)).chosen == AWAY
    book.heartbeat("alice", T0 + timedelta(seconds=40), active=False, chosen=OFFLINE)
    assert status(book, "alice", T0 + timedelta(seconds=40)) == OFFLINE
    book.heartbeat("alice", T0 + timedelta(seconds=60), active=False, chosen=ONLINE)
    assert status(book, "alice", T0 + timedelta(minutes=30, seconds=-30)) == OFFLINE  # page gone: offline anyway
    book.heartbeat("alice", T0 + timedelta(minutes=30), active=False)
    assert status(book, "alice", T0 + timedelta(minutes=30)) == ONLINE  # idle, but online by hand
    book.heartbeat("alice", T0 + timedelta(minutes=31), active=False, chosen="auto")
    assert status(book, "alice", T0 + timedelta(minutes=31)) == AWAY


def test_every_agent_is_listed_and_an_unknown_status_is_refused(book):
    book.heartbeat("bob", T0, active=True)
    assert [(p.agent, p.status) for p in book.everyone(T0, ["alice", "bob"])] == [("alice", OFFLINE), ("bob", ONLINE)]
    with pytest.raises(ValueError, match="status must be one of"):
        book.heartbeat("bob", T0, active=True, chosen="busy")


def test_another_replica_sees_the_same_presence(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    one, two = HandOverStore(url), HandOverStore(url)
    PresenceBook(one).heartbeat("alice", T0, active=True)
    assert PresenceBook(two).online(T0) == ["alice"]
    one.dispose()
    two.dispose()


def test_on_postgresql_replicas_share_presence_and_racing_first_heartbeats_make_one_row():
    from concurrent.futures import ThreadPoolExecutor

    with throwaway_postgres_database() as url:
        one, two = HandOverStore(url), HandOverStore(url)
        with ThreadPoolExecutor(8) as pool:  # the first heartbeats of one agent from eight pages at once
            list(pool.map(lambda i: PresenceBook((one, two)[i % 2]).heartbeat("carol", T0, active=True), range(8)))
        assert [p.agent for p in PresenceBook(two).everyone(T0)] == ["carol"]
        assert PresenceBook(one).online(T0 + timedelta(seconds=30)) == ["carol"]
        one.dispose()
        two.dispose()
