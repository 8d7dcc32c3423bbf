"""The working-hours file: read as written, every mistake named with its file and line."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from launcher.__main__ import checked_settings
from tests.helpers.paths import ROOT
from toolkit.hours import HoursError, describe, load_hours, parse_hours

GOOD = """\
time_zone: Europe/London
weekly:
  monday: 09:00-17:30
  tuesday: 09:00-12:00, 13:00-17:30
  wednesday:
    - 09:00-12:00
    - 13:00-24:00
  saturday: closed
holidays:
  - 2026-12-25
  - 2026-12-28: Boxing Day (substitute)
"""


def parse(text: str):
    return parse_hours(textwrap.dedent(text), Path("hours.yml"))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_the_file_in_the_repository_is_valid():
    hours = load_hours(ROOT / "desk-hours.yml")
    assert hours.zone_name == "Europe/London" and hours.weekly[0]


def test_weekly_hours_holidays_and_zone_are_read():
    hours = parse(GOOD)
    assert hours.zone_name == "Europe/London"
    assert len(hours.weekly[1]) == 2 and hours.weekly[5] == () and 6 not in hours.weekly
    assert hours.holidays == {date(2026, 12, 25), date(2026, 12, 28)}
    # Monday 7 December 2026 (London is on UTC in winter)
    assert hours.is_open(utc(2026, 12, 7, 9, 0)) and not hours.is_open(utc(2026, 12, 7, 8, 59))
    assert not hours.is_open(utc(2026, 12, 7, 17, 30))
    assert not hours.is_open(utc(2026, 12, 8, 12, 30))  # Tuesday's lunch
    assert hours.is_open(utc(2026, 12, 9, 23, 59))  # Wednesday until midnight
    assert not hours.is_open(utc(2026, 12, 28, 10, 0))  # a holiday on a Monday


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ("time_zone: Europe/London\nweekly: [monday: 09:00\n", 3, "not valid YAML"),
        ("time_zone: Europe/London\nweekly:\n  munday: 09:00-17:00\n", 3, "unknown weekday 'munday'"),
        ("time_zone: Europe/London\nweekly:\n  monday: 9am-5pm\n", 3, "'9am-5pm' is not hours like 09:00-17:30"),
        ("time_zone: Europe/London\nweekly:\n  monday: 09:00-25:00\n", 3, "'25:00' is not a time of day"),
        ("time_zone: Europe/London\nweekly:\n  friday: 17:00-09:00\n", 3, "the end of '17:00-09:00' is not after"),
        ("time_zone: Europe/Londres\nweekly:\n  monday: 09:00-17:00\n", 1, "unknown time zone 'Europe/Londres'"),
        (
            "time_zone: UTC\nweekly:\n  monday: 09:00-17:00\nholidays:\n  - 2026-12-25\n  - 2026-02-30\n",
            6,
            "'2026-02-30' is not a date",
        ),
        ("time_zone: UTC\nweekly:\n  monday: 09:00-17:00\nopening: soon\n", 4, "unknown key 'opening'"),
        ("weekly:\n  monday: 09:00-17:00\n", 1, "'time_zone' is missing"),
        ("time_zone: UTC\nweekly:\n  monday: closed\n", 2, "no weekday has working hours"),
        (
            "time_zone: UTC\nweekly:\n  monday:\n    - 09:00-13:00\n    - 12:00-17:00\n",
            5,
            "'12:00-17:00' overlaps",
        ),
    ],
)
def test_a_malformed_file_names_the_file_the_line_and_the_problem(text, line, problem):
    with pytest.raises(HoursError) as error:
        parse_hours(text, Path("team/hours.yml"))
    assert str(error.value).startswith(f"team/hours.yml:{line}: "), str(error.value)
    assert problem in str(error.value)


def test_the_next_opening_skips_the_weekend_and_a_holiday():
    hours = parse(GOOD)
    # Friday 25 December 2026, 18:00 (a holiday): Monday 28 is one too, so Tuesday 29 at 09:00
    opening = hours.next_opening(utc(2026, 12, 25, 18, 0))
    assert opening is not None and opening.isoformat() == "2026-12-29T09:00:00+00:00"
    assert describe(opening) == {"back_day": "Tuesday 29 December", "back_time": "09:00", "time_zone": "Europe/London"}
    assert hours.next_opening(utc(2026, 12, 8, 12, 30)).isoformat() == "2026-12-08T13:00:00+00:00"  # after lunch


def test_the_next_opening_keeps_the_wall_clock_across_a_change_of_offset():
    hours = parse("time_zone: Europe/London\nweekly:\n  monday: 09:00-17:00\n")
    # Friday 23 October 2026, 18:00 BST; the clocks go back on Sunday 25: Monday 09:00 is 09:00 UTC
    opening = hours.next_opening(utc(2026, 10, 23, 17, 0))
    assert opening.isoformat() == "2026-10-26T09:00:00+00:00"
    assert opening.astimezone(timezone.utc).hour == 9
    # the week before, the same 09:00 London time was 08:00 UTC
    assert hours.next_opening(utc(2026, 10, 16, 17, 0)).astimezone(timezone.utc).hour == 8


def test_the_launcher_refuses_to_start_with_a_malformed_hours_file(tmp_path, monkeypatch):
    bad = tmp_path / "hours.yml"
    bad.write_text("time_zone: Mars/Olympus\nweekly:\n  monday: 09:00-17:00\n", encoding="utf-8")
    monkeypatch.setenv("DESK_HOURS_FILE", str(bad))
    with pytest.raises(SystemExit) as stop:
        checked_settings()
    assert f"{bad}:1: unknown time zone 'Mars/Olympus'" in str(stop.value)
