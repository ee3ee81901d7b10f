"""A reminder is due at the person's local wall-clock time, across DST changes, and never hours late."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from keel.core.reminders import LATE_WINDOW, due_day

NY = ZoneInfo("America/New_York")
EIGHT = time(8, 0)


def test_due_at_eight_in_winter_is_thirteen_utc() -> None:
    assert due_day(EIGHT, NY, datetime(2026, 3, 7, 13, 0, tzinfo=UTC)) == date(2026, 3, 7)


def test_not_due_a_minute_before() -> None:
    assert due_day(EIGHT, NY, datetime(2026, 3, 7, 12, 59, tzinfo=UTC)) is None


def test_after_the_spring_change_eight_is_twelve_utc() -> None:
    assert due_day(EIGHT, NY, datetime(2026, 3, 9, 12, 0, tzinfo=UTC)) == date(2026, 3, 9)


def test_after_the_spring_change_eleven_fifty_nine_utc_is_too_early() -> None:
    assert due_day(EIGHT, NY, datetime(2026, 3, 9, 11, 59, tzinfo=UTC)) is None


def test_after_the_fall_change_eight_is_thirteen_utc_again() -> None:
    assert due_day(EIGHT, NY, datetime(2026, 11, 2, 12, 30, tzinfo=UTC)) is None
    assert due_day(EIGHT, NY, datetime(2026, 11, 2, 13, 0, tzinfo=UTC)) == date(2026, 11, 2)


def test_too_late_is_skipped() -> None:
    start = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert due_day(EIGHT, NY, start + LATE_WINDOW - timedelta(seconds=1)) == date(2026, 6, 10)
    assert due_day(EIGHT, NY, start + LATE_WINDOW) is None


def test_a_late_evening_reminder_is_still_due_just_after_midnight() -> None:
    at = time(23, 30)
    assert due_day(at, NY, datetime(2026, 6, 11, 4, 0, tzinfo=UTC)) == date(2026, 6, 10)  # 00:00 local


def test_another_zone_has_its_own_eight() -> None:
    la = ZoneInfo("America/Los_Angeles")
    assert due_day(EIGHT, la, datetime(2026, 6, 10, 12, 0, tzinfo=UTC)) is None
    assert due_day(EIGHT, la, datetime(2026, 6, 10, 15, 0, tzinfo=UTC)) == date(2026, 6, 10)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_day(EIGHT, NY, datetime(2026, 6, 10, 12, 0))


def test_the_late_window_is_real_time_on_the_night_the_clocks_go_back() -> None:
    """2026-11-01 in New York: 02:00 EDT becomes 01:00 EST. A reminder at 00:30 (04:30 UTC) is due until
    06:30 UTC (01:30 EST, two real hours), not until 02:30 EST on the wall clock (three hours)."""
    zone = ZoneInfo("America/New_York")
    assert due_day(time(0, 30), zone, datetime(2026, 11, 1, 6, 29, tzinfo=UTC)) == date(2026, 11, 1)
    assert due_day(time(0, 30), zone, datetime(2026, 11, 1, 6, 31, tzinfo=UTC)) is None
    assert due_day(time(0, 30), zone, datetime(2026, 11, 1, 7, 29, tzinfo=UTC)) is None


def test_the_late_window_is_real_time_on_the_night_the_clocks_go_forward() -> None:
    """2027-03-14: 02:00 EST becomes 03:00 EDT. A reminder at 01:30 EST (06:30 UTC) is due for two real
    hours, until 08:30 UTC (04:30 EDT), not one (03:30 EDT on the wall clock)."""
    zone = ZoneInfo("America/New_York")
    assert due_day(time(1, 30), zone, datetime(2027, 3, 14, 8, 29, tzinfo=UTC)) == date(2027, 3, 14)
    assert due_day(time(1, 30), zone, datetime(2027, 3, 14, 8, 31, tzinfo=UTC)) is None
