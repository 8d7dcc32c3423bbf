"""The truth at hand-over: agents online, nobody online, or outside the team's hours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import handover as action_mod
from actions.handover import ActionHandOver
from handover.announce import decide
from handover.presence import PresenceBook
from handover.records import AVAILABILITY_NOBODY_ONLINE, AVAILABILITY_ONLINE, AVAILABILITY_OUTSIDE_HOURS
from tests.helpers.conversations import make_tracker, user_event
from toolkit import names
from toolkit.hours import parse_hours

HOURS = parse_hours(
    "time_zone: America/New_York\n"
    "weekly:\n  monday: 09:00-17:00\n  tuesday: 09:00-17:00\n  friday: 09:00-17:00\n"
    "holidays:\n  - 2026-12-08\n",
    Path("hours.yml"),
)
MONDAY_NOON = datetime(2026, 12, 7, 17, 0, tzinfo=timezone.utc)  # 12:00 in New York
FRIDAY_EVENING = datetime(2026, 12, 4, 23, 30, tzinfo=timezone.utc)  # 18:30 in New York


def test_agents_online_within_hours_means_an_agent_joins_shortly():
    told = decide(HOURS, 2, MONDAY_NOON)
    assert told.availability == AVAILABILITY_ONLINE and told.response == names.UTTER_HANDOVER


def test_nobody_online_within_hours_is_said_so():
    told = decide(HOURS, 0, MONDAY_NOON)
    assert told.availability == AVAILABILITY_NOBODY_ONLINE and told.response == names.UTTER_HANDOVER_NOBODY_ONLINE


def test_outside_hours_says_when_the_team_is_back_in_its_own_time_zone():
    told = decide(HOURS, 3, FRIDAY_EVENING)  # agents online, but after hours: the hours decide
    assert told.availability == AVAILABILITY_OUTSIDE_HOURS
    assert told.values == {"back_day": "Monday 7 December", "back_time": "09:00", "time_zone": "America/New York"}
    assert told.opening.utcoffset() == timedelta(hours=-5)


def test_a_holiday_is_outside_hours_and_the_next_opening_skips_it():
    tuesday_holiday = datetime(2026, 12, 8, 15, 0, tzinfo=timezone.utc)  # 10:00 in New York, a holiday
    told = decide(HOURS, 1, tuesday_holiday)
    assert told.availability == AVAILABILITY_OUTSIDE_HOURS
    assert told.values["back_day"] == "Friday 11 December"  # not Wednesday or Thursday: closed


def test_without_working_hours_only_presence_decides():
    assert decide(None, 0, FRIDAY_EVENING).availability == AVAILABILITY_NOBODY_ONLINE
    assert decide(None, 1, FRIDAY_EVENING).availability == AVAILABILITY_ONLINE


@pytest.fixture
def world(monkeypatch):
    """The hand-over action at a chosen time, with the hours above."""
    moment = {"at": MONDAY_NOON}
    monkeypatch.setattr(action_mod, "clock", lambda: moment["at"])
    monkeypatch.setattr(action_mod, "hours_source", lambda: HOURS)
    return moment


async def hand_over(domain, sender):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker([user_event("a human please", names.INTENT_REQUEST_HUMAN)], sender_id=sender)
    await ActionHandOver().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    text = domain["responses"][message["response"]][0]["text"]
    return message, text.format(**{k: v for k, v in message.items() if isinstance(v, str | int)})


async def test_with_an_agent_online_the_client_hears_an_agent_joins_with_the_place_in_the_queue(
    domain, handover_store, world
):
    PresenceBook(handover_store).heartbeat("alice", MONDAY_NOON - timedelta(seconds=5), active=True)
    await hand_over(domain, "conv-first")
    world["at"] = MONDAY_NOON + timedelta(seconds=1)
    message, text = await hand_over(domain, "conv-second")
    assert message["response"] == names.UTTER_HANDOVER and message["position"] == 2
    assert "will continue this chat here shortly: you are number 2 in the queue" in text
    assert handover_store.open_for("conv-second").availability == AVAILABILITY_ONLINE


async def test_with_nobody_online_the_client_hears_the_queue_and_the_email(domain, handover_store, world):
    # alice's page was open, but she stopped using it long ago: away is not online
    PresenceBook(handover_store).heartbeat("alice", MONDAY_NOON - timedelta(minutes=30), active=True)
    PresenceBook(handover_store).heartbeat("alice", MONDAY_NOON - timedelta(seconds=5), active=False)
    message, text = await hand_over(domain, "conv-alone")
    assert message["response"] == names.UTTER_HANDOVER_NOBODY_ONLINE
    assert "No agent is at the desk right now" in text and "follow up by email" in text
    record = handover_store.open_for("conv-alone")
    assert record.status == "waiting" and record.availability == AVAILABILITY_NOBODY_ONLINE
    assert f"#{record.id}" in text


async def test_outside_hours_the_client_hears_when_the_team_is_back(domain, handover_store, world):
    world["at"] = FRIDAY_EVENING
    PresenceBook(handover_store).heartbeat("alice", FRIDAY_EVENING, active=True)
    message, text = await hand_over(domain, "conv-late")
    assert message["response"] == names.UTTER_HANDOVER_OUTSIDE_HOURS
    assert "back on Monday 7 December at 09:00 (America/New York time)" in text
    assert "waits in the queue for the first agent back" in text
    record = handover_store.open_for("conv-late")
    assert record.status == "waiting" and record.availability == AVAILABILITY_OUTSIDE_HOURS


async def test_asking_again_keeps_the_first_case_on_the_record(domain, handover_store, world):
    world["at"] = FRIDAY_EVENING
    await hand_over(domain, "conv-again")
    world["at"] = MONDAY_NOON
    PresenceBook(handover_store).heartbeat("bob", MONDAY_NOON, active=True)
    message, _ = await hand_over(domain, "conv-again")
    assert message["response"] == names.UTTER_HANDOVER  # told the truth of now
    assert handover_store.open_for("conv-again").availability == AVAILABILITY_OUTSIDE_HOURS  # the record: then


@pytest.mark.parametrize("response", names.HANDOVER_RESPONSES)
async def test_the_chat_marks_every_variant_as_the_hand_over(response):
    from channels.shapes import room_of
    from channels.webchat import SafeSocketIOOutput

    class Sio:
        def __init__(self):
            self.sent = []

        async def emit(self, event, data, room=None, namespace=None):
            self.sent.append((room, data))

    sio = Sio()
    await SafeSocketIOOutput(sio, "bot_uttered").send_text_message("conv-1", "Thanks.", utter_action=response)
    marked = [data for room, data in sio.sent if room == room_of("conv-1", True)]
    assert marked and marked[-1]["handover"] is True
