"""When an appointment starts and when its reminders are due: wall-clock times in the program's zone,
DST-correct, a time that does not exist on the clock refused rather than moved. Plain Python: no Django, no
clock (`now` is passed in)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from keel.core.reminders import LATE_WINDOW

# The reminder slots a person may choose (Keel's product choice, not a clinical figure).
DAY_BEFORE = "day_before"  # the day before, at the person's chosen local time
HOURS_BEFORE = "hours_before"  # N hours before the start
HOURS_BEFORE_CHOICES = (1, 2, 3, 6)


# An appointment's statuses (the values of keel.appointments.models.Status).
SCHEDULED, CANCELLED, ATTENDED, MISSED = "scheduled", "cancelled", "attended", "missed"
NOT_BEGUN = "attended or missed only once the visit has begun"
PASSED = "this visit's time has passed; book a new visit instead"

_WALL_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def wall_clock_time(raw: object) -> time:
    """A local wall-clock time written HH:MM (24-hour clock), read in the program's zone by the caller. No
    seconds, and no UTC offset or "Z": an offset would be dropped (or refused by the database), so a time
    meant in another zone is refused rather than read as a local one. ValueError for anything else."""
    match = _WALL_CLOCK.fullmatch("" if raw is None else str(raw).strip())
    if match is None:
        raise ValueError("a local time written HH:MM")
    return time(int(match[1]), int(match[2]))


def status_change_problem(current: str, new: str, starts_at: datetime, now: datetime) -> str | None:
    """Why an appointment starting at `starts_at` cannot go from `current` to `new` status at `now`, or None.
    Attended and missed only once the visit has begun; a visit whose time has passed cannot be scheduled
    again (a new visit is booked instead)."""
    if now.tzinfo is None or starts_at.tzinfo is None:
        raise ValueError("now and starts_at must be timezone-aware")
    if new == current:
        return None
    if new in (ATTENDED, MISSED) and now < starts_at:
        return NOT_BEGUN
    if new == SCHEDULED and now >= starts_at:
        return PASSED
    return None


class LocalTimeMissing(ValueError):
    """The local time does not exist that day (the clocks skip it in a spring-forward change)."""


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The moment (in UTC) the clocks in `zone` read `at` on `day`. In the repeated hour of a fall-back
    change, the first of the two; a time skipped by a spring-forward change raises LocalTimeMissing."""
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        raise LocalTimeMissing(f"{at.isoformat(timespec='minutes')} does not exist on {day.isoformat()}")
    return instant


def send_times(
    starts_at: datetime, zone: ZoneInfo, *, day_before_at: time | None, hours_before: int | None
) -> dict[str, datetime]:
    """When each chosen reminder of an appointment starting at `starts_at` goes out (aware, UTC). The
    day-before one is at `day_before_at` on the local day before (in a spring-forward gap it reads one hour
    later on the clock, as every Keel reminder does)."""
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    times: dict[str, datetime] = {}
    if day_before_at is not None:
        eve = starts_at.astimezone(zone).date() - timedelta(days=1)
        times[DAY_BEFORE] = datetime.combine(eve, day_before_at, tzinfo=zone).astimezone(UTC)
    if hours_before is not None:
        times[HOURS_BEFORE] = starts_at.astimezone(UTC) - timedelta(hours=hours_before)
    return times


def due_slots(
    starts_at: datetime,
    zone: ZoneInfo,
    now: datetime,
    *,
    day_before_at: time | None,
    hours_before: int | None,
    window: timedelta = LATE_WINDOW,
) -> list[str]:
    """The reminder slots due at `now`: their time has come less than `window` ago and the appointment
    has not started (a reminder that would arrive hours late, or after the start, is skipped)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return [
        slot
        for slot, at in send_times(
            starts_at, zone, day_before_at=day_before_at, hours_before=hours_before
        ).items()
        if at <= now < at + window and now < starts_at
    ]
