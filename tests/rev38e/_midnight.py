"""Set-up shared by the midnight tests (review 38e): moments on the program's wall clock (New York)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.factories import last_five_pm_utc

NY = ZoneInfo("America/New_York")


def days_ago(n: int) -> date:
    """The program's calendar day `n` days before the pinned clock's."""
    return last_five_pm_utc().astimezone(NY).date() - timedelta(days=n)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` on the program's wall clock on `day`."""
    return datetime.combine(day, time(hour, minute), tzinfo=NY)
