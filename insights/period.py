"""The period the figures cover, read from a request's query: checked, never guessed.

``period=7d|30d|90d|365d`` (the days up to and including today, UTC), or
``from=YYYY-MM-DD&to=YYYY-MM-DD`` (both days included); ``group=day|week``
(weeks start on Monday). At most ``MAX_DAYS`` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator, Mapping, Optional

PRESETS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
GROUPS = ("day", "week")
MAX_DAYS = 366
DEFAULT_PRESET = "30d"


class PeriodError(ValueError):
    """A period a caller asked for that cannot be served (the message says why)."""


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # included
    group: str = "day"

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), timezone.utc)

    @property
    def end(self) -> datetime:
        """The moment just after the period (midnight after its last day)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), timezone.utc)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def bucket_of(self, moment: datetime) -> date:
        day = moment.astimezone(timezone.utc).date()
        return day - timedelta(days=day.weekday()) if self.group == "week" else day

    def buckets(self) -> Iterator[date]:
        current = self.bucket_of(self.start)
        step = timedelta(days=7 if self.group == "week" else 1)
        while current <= self.last_day:
            yield current
            current += step

    def to_dict(self) -> dict:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat(), "group": self.group}


def parse_period(args: Mapping[str, Optional[str]], today: date) -> Period:
    """The period of ``args`` (a request's query, one value per name)."""
    known = {"period", "from", "to", "group", "fields"}
    unknown = sorted(set(args) - known)
    if unknown:
        raise PeriodError(f"unknown parameter '{unknown[0]}': use period, from and to, group (and fields for CSV)")
    group = args.get("group") or "day"
    if group not in GROUPS:
        raise PeriodError(f"'group' must be day or week, not {group!r}")
    first, last = args.get("from"), args.get("to")
    if first or last:
        if args.get("period"):
            raise PeriodError("send either 'period' or 'from' and 'to', not both")
        if not (first and last):
            raise PeriodError("'from' and 'to' go together: send both, as YYYY-MM-DD")
        start, end = _day(first, "from"), _day(last, "to")
        if end < start:
            raise PeriodError(f"'to' ({end}) is before 'from' ({start}): the period would be reversed")
    else:
        preset = args.get("period") or DEFAULT_PRESET
        if preset not in PRESETS:
            raise PeriodError(f"unknown period {preset!r}: use one of {', '.join(PRESETS)}, or 'from' and 'to'")
        end = today
        start = today - timedelta(days=PRESETS[preset] - 1)
    period = Period(start, end, group)
    if period.days > MAX_DAYS:
        raise PeriodError(f"the period has {period.days} days; at most {MAX_DAYS} are served at once")
    return period


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError(f"'{name}' must be a day as YYYY-MM-DD, not {value[:40]!r}") from None
