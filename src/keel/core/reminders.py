"""When a reminder is due: at the person's chosen wall-clock time in their own zone, DST-correct, and never
hours late (a reminder that would arrive long after its time is skipped, not sent at the wrong moment).
Plain Python: no Django, no clock (`now` is passed in)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Keel's product rule (not a clinical figure): a reminder more than this late is not sent that day.
LATE_WINDOW = timedelta(hours=2)


def due_day(at: time, zone: ZoneInfo, now: datetime, window: timedelta = LATE_WINDOW) -> date | None:
    """The local day whose reminder at `at` is due at `now` (its time has come, less than `window` ago),
    or None. In a spring-forward gap the time reads one hour later on the clock (zoneinfo, fold=0). The
    window is counted in real time (UTC), not on the wall clock: on the night the clocks go back, a
    reminder at 00:30 is not still "due" at 02:29, three hours after it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)):  # just after midnight, yesterday's late-evening one
        start = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
        if start <= now < start + window:
            return day
    return None
