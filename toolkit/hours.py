"""The support team's working hours: weekly hours, holidays and the team's time zone.

Read from a YAML file (``DESK_HOURS_FILE``, by default ``desk-hours.yml`` at
the top of the repository)::

    time_zone: Europe/London          # an IANA time zone
    weekly:                           # a weekday left out is closed
      monday: 09:00-17:30
      tuesday: 09:00-12:00, 13:00-17:30
      saturday: closed
    holidays:                         # closed all day, in the team's time zone
      - 2026-12-25
      - 2026-12-26: Boxing Day        # a name is allowed, for the reader

Every mistake (bad YAML, an unknown weekday, a bad time, an end before its
start, an unknown zone, a bad date) is an ``HoursError`` naming the file, the
line and what is wrong; the launcher checks the file before anything starts.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from toolkit.yamlfile import read_text

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KEYS = ("time_zone", "weekly", "holidays")
CLOSED = "closed"
LOOK_AHEAD_DAYS = 400  # the next opening is searched this far (a year of holidays and more)
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Span = Tuple[time, Optional[time]]  # an end of None is midnight at the end of the day (24:00)


class HoursError(ValueError):
    """A working-hours file that cannot be used; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class WorkingHours:
    zone: ZoneInfo
    weekly: Dict[int, Tuple[Span, ...]]  # weekday (Monday = 0) -> its open spans, in order
    holidays: FrozenSet[date] = field(default_factory=frozenset)
    path: Optional[Path] = None

    @property
    def zone_name(self) -> str:
        return self.zone.key

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (an aware time) falls in the team's hours."""
        local = at.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        now = local.time().replace(tzinfo=None)
        return any(start <= now and (end is None or now < end) for start, end in self.weekly.get(local.weekday(), ()))

    def next_opening(self, at: datetime) -> Optional[datetime]:
        """When the team is next open after ``at``, in the team's time zone (``at`` itself when open)."""
        if self.is_open(at):
            return at.astimezone(self.zone)
        local = at.astimezone(self.zone)
        for offset in range(LOOK_AHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _ in self.weekly.get(day.weekday(), ()):
                # the wall-clock time of that day: 09:00 stays 09:00 across a change of offset
                opening = datetime.combine(day, start, tzinfo=self.zone)
                if opening > local:
                    return opening
        return None


def describe(moment: datetime) -> Dict[str, str]:
    """The parts of a time a client reads: ``Monday 7 December``, ``09:00`` and the zone's name."""
    zone = moment.tzinfo.key if isinstance(moment.tzinfo, ZoneInfo) else (moment.tzname() or "UTC")
    return {
        "back_day": f"{moment.strftime('%A')} {moment.day} {moment.strftime('%B')}",
        "back_time": moment.strftime("%H:%M"),
        "time_zone": zone.replace("_", " "),
    }


def parse_hours(text: str, path: Path) -> WorkingHours:
    """The working hours in ``text`` (the contents of ``path``, which error messages name)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise HoursError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML: {e.problem}") from e
    except yaml.YAMLError as e:
        raise HoursError(f"{path}: not valid YAML: {e}") from e
    if root is None:
        raise HoursError(f"{path}:1: the file is empty: expected time_zone, weekly and holidays")
    if not isinstance(root, yaml.MappingNode):
        raise HoursError(f"{path}:{_line(root)}: expected a mapping with time_zone, weekly and holidays")
    found: Dict[str, Tuple[yaml.Node, yaml.Node]] = {}
    for key, value in root.value:
        name = _scalar(key, path, "a key")
        if name not in KEYS:
            raise HoursError(f"{path}:{_line(key)}: unknown key '{name}' (the keys are {', '.join(KEYS)})")
        if name in found:
            raise HoursError(f"{path}:{_line(key)}: '{name}' is given twice")
        found[name] = (key, value)
    if "time_zone" not in found:
        raise HoursError(f"{path}:{_line(root)}: 'time_zone' is missing (an IANA time zone, e.g. Europe/London)")
    if "weekly" not in found:
        raise HoursError(f"{path}:{_line(root)}: 'weekly' is missing (the hours of each weekday)")
    zone = _zone(found["time_zone"][1], path)
    weekly = _weekly(found["weekly"][1], path, _line(found["weekly"][0]))
    holidays = _holidays(found["holidays"][1], path) if "holidays" in found else frozenset()
    return WorkingHours(zone=zone, weekly=weekly, holidays=holidays, path=path)


def load_hours(path: Path) -> WorkingHours:
    return parse_hours(read_text(path, "cannot read the working-hours file", HoursError), path)


_cache: Dict[Path, Tuple[float, WorkingHours]] = {}
_cache_lock = threading.Lock()


def current_hours(path: Path) -> WorkingHours:
    """``load_hours``, read again only when the file changed (a server reads it at every hand-over)."""
    try:
        stamp = path.stat().st_mtime
    except OSError as e:
        raise HoursError(f"{path}: cannot read the working-hours file: {e.strerror}") from e
    with _cache_lock:
        cached = _cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
    hours = load_hours(path)
    with _cache_lock:
        _cache[path] = (stamp, hours)
    return hours


# --- the parts of the file ---------------------------------------------------


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.Node, path: Path, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise HoursError(f"{path}:{_line(node)}: expected {what} here, not a list or a mapping")
    return str(node.value).strip()


def _zone(node: yaml.Node, path: Path) -> ZoneInfo:
    name = _scalar(node, path, "an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise HoursError(f"{path}:{_line(node)}: unknown time zone '{name}' (an IANA name, e.g. Europe/London)") from e


def _weekly(node: yaml.Node, path: Path, key_line: int) -> Dict[int, Tuple[Span, ...]]:
    if not isinstance(node, yaml.MappingNode):
        raise HoursError(f"{path}:{_line(node)}: 'weekly' must map weekdays to hours, e.g. monday: 09:00-17:30")
    weekly: Dict[int, Tuple[Span, ...]] = {}
    for key, value in node.value:
        day = _scalar(key, path, "a weekday").lower()
        if day not in WEEKDAYS:
            raise HoursError(f"{path}:{_line(key)}: unknown weekday '{day}' (monday to sunday, in English)")
        if WEEKDAYS.index(day) in weekly:
            raise HoursError(f"{path}:{_line(key)}: '{day}' is given twice")
        weekly[WEEKDAYS.index(day)] = _spans(value, day, path)
    if not any(weekly.values()):
        raise HoursError(f"{path}:{key_line}: no weekday has working hours: the team would never be back")
    return weekly


def _spans(node: yaml.Node, day: str, path: Path) -> Tuple[Span, ...]:
    items: List[Tuple[str, int]]
    if isinstance(node, yaml.SequenceNode):
        items = [(_scalar(item, path, "hours like 09:00-17:30"), _line(item)) for item in node.value]
    else:
        text = _scalar(node, path, "hours like 09:00-17:30")
        items = [(part, _line(node)) for part in text.split(",")] if text.lower() != CLOSED else []
    spans: List[Span] = []
    for text, line in items:
        match = _SPAN.match(text)
        if not match:
            raise HoursError(f"{path}:{line}: {day}: '{text.strip()}' is not hours like 09:00-17:30 (or 'closed')")
        start = _time(match.group(1), match.group(2), day, path, line, end=False)
        end = _time(match.group(3), match.group(4), day, path, line, end=True)
        if start is None or (end is not None and end <= start):
            raise HoursError(f"{path}:{line}: {day}: the end of '{text.strip()}' is not after its start")
        if spans and (spans[-1][1] is None or start < spans[-1][1]):
            raise HoursError(f"{path}:{line}: {day}: '{text.strip()}' overlaps or comes before the hours before it")
        spans.append((start, end))
    return tuple(spans)


def _time(hours: str, minutes: str, day: str, path: Path, line: int, end: bool) -> Optional[time]:
    h, m = int(hours), int(minutes)
    if end and (h, m) == (24, 0):
        return None  # open until midnight
    if h > 23 or m > 59:
        raise HoursError(f"{path}:{line}: {day}: '{hours}:{minutes}' is not a time of day (00:00 to 23:59)")
    return time(h, m)


def _holidays(node: yaml.Node, path: Path) -> FrozenSet[date]:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return frozenset()
    if not isinstance(node, yaml.SequenceNode):
        raise HoursError(f"{path}:{_line(node)}: 'holidays' must be a list of dates, e.g. - 2026-12-25")
    days = set()
    for item in node.value:
        if isinstance(item, yaml.MappingNode) and len(item.value) == 1:
            item = item.value[0][0]  # "- 2026-12-26: Boxing Day": the name is for the reader
        text = _scalar(item, path, "a date like 2026-12-25")
        try:
            days.add(date.fromisoformat(text))
        except ValueError as e:
            raise HoursError(f"{path}:{_line(item)}: '{text}' is not a date like 2026-12-25") from e
    return frozenset(days)
