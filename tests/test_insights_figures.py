"""Insights figures from seeded conversations of known outcomes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handover.ratings import RatingLog, unhelpful_ratings
from handover.schema import Database
from insights import figures
from insights.keeper import SummaryKeeper
from insights.period import Period, PeriodError, parse_period
from insights.table import FieldsError, chosen_fields, to_csv
from tests.helpers.insights_data import NOW, Conversation, feedback, hand_over
from tests.helpers.services import seeded_database

H = timedelta(hours=1)
D = timedelta(days=1)
WINDOW = timedelta(hours=24)
PERIOD = Period(date(2026, 11, 14), date(2026, 11, 20))
CONCERN, PAUSE, HUMAN = "report_freelancer_concern", "ask_how_to_pause", "request_human"
ASKED, OFFER, UNCLEAR = "client_asked_for_person", "client_accepted_offer", "message_still_unclear"
SPECIFIC, WHAT_IF, HOW_TO = "toolkit_specific_concern", "toolkit_what_if", "toolkit_how_to_pause"


def day(d: int, hour: int, minute: int = 0):
    return NOW.replace(day=d, hour=hour, minute=minute)


def seed(db: Database) -> None:
    keeper, ratings = SummaryKeeper(db), RatingLog(db)
    c1 = Conversation("c1", day(17, 12)).user(CONCERN).script().save(keeper)
    ratings.rate(c1, "answer:1", False, at=day(17, 12, 1))
    ratings.rate(c1, "answer:1", True, at=day(17, 12, 2))  # changed: one row, helpful
    Conversation("c2", day(17, 13)).user(CONCERN).script().user("thank").save(keeper)
    Conversation("c3", day(18, 9)).user(PAUSE).pause_link().save(keeper)
    Conversation("c4", day(18, 10)).user(CONCERN).script().save(keeper)
    Conversation("c5", day(18, 11)).user("out_of_scope").action("action_default_fallback").save(keeper)
    Conversation("c6", day(18, 11, 30)).user(CONCERN).script().user("nlu_fallback", 5).action(
        "action_clarify_meaning"
    ).save(keeper)
    c13 = Conversation("c13", day(18, 8)).user(CONCERN).script().save(keeper)
    ratings.rate(c13, "answer:2", False, "wrong script", at=day(18, 8, 5))
    c7 = Conversation("c7", day(19, 8)).user(HUMAN).action("action_hand_over").save(keeper)
    h7 = hand_over(db, c7, day(19, 8) + timedelta(seconds=2), ASKED, 60, 360, "resumed", availability="online")
    ratings.rate(c7, f"resolution:{h7}", True, at=day(19, 8, 10))
    c8 = Conversation("c8", day(19, 9)).user(CONCERN).script().user("affirm").save(keeper)
    h8 = hand_over(db, c8, day(19, 9, 1), OFFER, 180, 900, "closed", availability="online")
    ratings.rate(c8, f"resolution:{h8}", False, "call me on +1 415 555 0100", at=day(19, 9, 20))
    c9 = Conversation("c9", day(19, 10)).user("nlu_fallback").action("action_clarify_meaning")
    hand_over(
        db,
        c9.user("nlu_fallback").save(keeper),
        day(19, 10, 1),
        UNCLEAR,
        notified_after=600,
        availability="nobody_online",
    )
    Conversation("c10", NOW - H).user(CONCERN).script().save(keeper)
    c11 = Conversation("c11", day(16, 12)).user(HUMAN)
    c11.save(keeper)
    h11 = hand_over(db, "c11", day(16, 12, 1), ASKED, 120, 600, "resumed", availability="outside_hours")
    c11.at = day(17, 12)
    c11.user(HUMAN).save(keeper)  # the next day: a second session, a second hand-over
    c11.save(keeper)  # saved again: nothing counted twice
    h11b = hand_over(db, "c11", day(17, 12, 1), ASKED, 300, released_first=True)
    Conversation("c12", day(10, 12)).user(CONCERN).script().save(keeper)  # before the period
    feedback(db, day(19, 9, 10), h8, [(SPECIFIC, "sent_as_is", 0), (WHAT_IF, "ignored", 1)])
    feedback(db, day(19, 9, 12), h8, [(SPECIFIC, "edited", 0)])
    feedback(db, day(19, 8, 3), h7, [(SPECIFIC, "ignored", 0), (WHAT_IF, "sent_as_is", 1)])
    feedback(db, day(16, 12, 5), h11, [(WHAT_IF, "ignored", 0)])
    feedback(db, day(17, 12, 10), h11b, [(WHAT_IF, "ignored", 0), (HOW_TO, "edited", None)])
    feedback(db, day(19, 10), h8, [(SPECIFIC, "sent_as_is", None)])  # straight to the API: no rank
    feedback(db, day(10, 12), h8, [(SPECIFIC, "sent_as_is", 0)])  # before the period


EXPECTED_TOTALS = {
    "conversations": 12,
    "outcomes": {
        "contained_confirmed": 2,
        "contained_assumed": 2,
        "handed_over": 3,
        "nobody_available": 1,
        "abandoned": 3,
        "in_progress": 1,
    },  # fmt: skip
    "handed_over_ended": {"resumed": 1, "closed": 1, "client_left": 0, "open": 1},
    "containment": {"confirmed": 0.1667, "assumed": 0.1667, "total": 0.3333},
    "bot_only": 8,
    "agent_handled": 4,
    "handover_rate": 0.3333,
    "handover_rate_by_reason": {ASKED: 0.1667, OFFER: 0.0833, UNCLEAR: 0.0833},
    "fallback_rate": 0.0833,
    "clarification_rate": 0.1667,
    "macros": {HOW_TO: {"scripts": 0, "links": 1}, SPECIFIC: {"scripts": 7, "links": 7}},
    "handovers": 5,
    "passed_waiting_limit": 1,
    # what each client was told at hand-over; h11b is from before presence and hours
    "handovers_by_availability": {"online": 2, "nobody_online": 1, "outside_hours": 1, "unknown": 1},
    "time_to_claim_seconds": {"count": 4, "p50": 150.0, "p90": 264.0},
    "time_to_resolve_seconds": {"count": 3, "p50": 600.0, "p90": 840.0},
    "suggestions": {"sent_as_is": 1, "edited": 1, "other_macro": 2, "ignored": 1},
    "csat": {
        "all": {"score": 0.5, "ratings": 4, "helpful": 2, "response_rate": 0.4},
        "bot_only": {"score": 0.5, "ratings": 2, "helpful": 1, "response_rate": 0.2857},
        "agent_handled": {"score": 0.5, "ratings": 2, "helpful": 1, "response_rate": 0.6667},
    },
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request, tmp_path_factory):
    with seeded_database(request.param, tmp_path_factory.mktemp("insights"), Database, seed) as db:
        yield db


def test_the_totals_of_the_period_are_exactly_the_known_outcomes(seeded):
    result = figures.insights(seeded, PERIOD, NOW, WINDOW)
    assert result["period"] == {"from": "2026-11-14", "to": "2026-11-20", "group": "day"}
    assert result["totals"] == EXPECTED_TOTALS


def test_each_day_counts_the_conversations_that_started_on_it(seeded):
    series = {entry["start"]: entry for entry in figures.insights(seeded, PERIOD, NOW, WINDOW)["series"]}
    assert list(series) == [f"2026-11-{d}" for d in range(14, 21)]
    assert [series[f"2026-11-{d}"]["conversations"] for d in range(14, 21)] == [0, 0, 1, 2, 5, 3, 1]
    assert series["2026-11-14"]["containment"] == {"confirmed": None, "assumed": None, "total": None}
    assert series["2026-11-18"]["outcomes"]["contained_assumed"] == 2
    assert series["2026-11-18"]["outcomes"]["abandoned"] == 3
    assert series["2026-11-16"]["handed_over_ended"] == {"resumed": 0, "closed": 0, "client_left": 0, "open": 1}
    assert series["2026-11-16"]["time_to_claim_seconds"] == {"count": 2, "p50": 210.0, "p90": 282.0}
    assert series["2026-11-19"]["suggestions"] == {"sent_as_is": 1, "edited": 1, "other_macro": 1, "ignored": 0}
    told = series["2026-11-19"]["handovers_by_availability"]
    assert told == {"online": 2, "nobody_online": 1, "outside_hours": 0, "unknown": 0}


def test_weeks_start_on_monday_and_add_up_to_the_totals(seeded):
    result = figures.insights(seeded, Period(PERIOD.first_day, PERIOD.last_day, "week"), NOW, WINDOW)
    assert [(e["start"], e["conversations"]) for e in result["series"]] == [("2026-11-09", 0), ("2026-11-16", 12)]
    assert result["series"][1]["outcomes"] == result["totals"]["outcomes"]


def test_a_quiet_conversation_is_decided_only_after_the_window(seeded):
    a_week = figures.insights(seeded, PERIOD, NOW, timedelta(days=7))["totals"]["outcomes"]
    assert a_week == {"contained_confirmed": 2, "contained_assumed": 0, "handed_over": 3,
                      "nobody_available": 1, "abandoned": 0, "in_progress": 6}  # fmt: skip


def test_an_empty_period_reads_as_zeros_and_no_rates(seeded):
    totals = figures.insights(seeded, Period(date(2025, 1, 1), date(2025, 1, 31)), NOW, WINDOW)["totals"]
    assert totals["conversations"] == 0
    assert totals["handover_rate"] is None and totals["csat"]["all"]["score"] is None
    assert totals["time_to_claim_seconds"] == {"count": 0, "p50": None, "p90": None}


def test_the_didnt_help_ratings_are_listed_newest_first_with_comments_masked(seeded):
    listed = unhelpful_ratings(seeded)
    assert [(r.conversation_id, r.kind) for r in listed] == [("c8", "resolution"), ("c13", "answer")]
    assert "415 555 0100" not in (listed[0].comment or "") and listed[0].comment.startswith("call me on")
    assert listed[0].handover_id is not None


def test_the_csv_has_a_row_per_day_and_the_total():
    db_result = {
        "series": [{"start": "2026-11-14", "conversations": 0, "containment": {"total": None}}],
        "totals": {"conversations": 3, "containment": {"total": 0.5}},
    }
    text = to_csv(db_result, chosen_fields("conversations,containment"))
    assert text == "start,conversations,containment\r\n2026-11-14,0,\r\ntotal,3,0.5\r\n"


@pytest.mark.parametrize(
    "fields, problem",
    [("", "empty"), ("conversations,bogus", "unknown column 'bogus'"), ("csat,csat", "twice")],
)
def test_bad_csv_fields_say_what_is_wrong(fields, problem):
    with pytest.raises(FieldsError, match=problem):
        chosen_fields(fields)


@pytest.mark.parametrize(
    "args, problem",
    [
        ({"period": "fortnight"}, "unknown period 'fortnight'"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "before 'from'"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "at most 366"),
        ({"from": "2026-11-01"}, "go together"),
        ({"from": "yesterday", "to": "2026-11-01"}, "YYYY-MM-DD"),
        ({"group": "month"}, "day or week"),
        ({"period": "7d", "from": "2026-11-01", "to": "2026-11-02"}, "not both"),
        ({"limit": "5"}, "unknown parameter 'limit'"),
    ],
)
def test_bad_periods_say_what_is_wrong(args, problem):
    with pytest.raises(PeriodError, match=problem):
        parse_period(args, date(2026, 11, 20))


def test_presets_end_today():
    assert parse_period({"period": "7d"}, date(2026, 11, 20)) == Period(date(2026, 11, 14), date(2026, 11, 20))
    assert parse_period({}, date(2026, 11, 20)).days == 30
