"""When a weekly meeting next starts, computed in the meeting's own IANA time zone (DST-correct).

Weekdays follow the Meeting Guide spec: 0 = Sunday ... 6 = Saturday."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

MORNING_ENDS = time(12, 0)  # part-of-day boundaries are Keel's convention, not a clinical number
AFTERNOON_ENDS = time(17, 0)


def part_of_day(start: time) -> str:
    if start < MORNING_ENDS:
        return "morning"
    if start < AFTERNOON_ENDS:
        return "afternoon"
    return "evening"


def _spec_weekday(dt: datetime) -> int:
    return (dt.weekday() + 1) % 7  # Python: Monday = 0; spec: Sunday = 0


def next_start(days: Iterable[int], start: time, tz: str, now: datetime) -> datetime | None:
    """The next start at or after `now` (aware), as an aware datetime in the meeting's zone."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    wanted = set(days)
    if not wanted:
        return None
    for offset in range(0, 8):
        day = (local_now + timedelta(days=offset)).date()
        if _spec_weekday(datetime.combine(day, start)) not in wanted:
            continue  # checked first: the zone arithmetic below is the costly part
        candidate = datetime.combine(day, start, tzinfo=zone)
        # Normalise a wall time that does not exist (spring-forward gap) by a round trip through UTC.
        candidate = candidate.astimezone(ZoneInfo("UTC")).astimezone(zone)
        if candidate >= local_now:
            return candidate
    return None
