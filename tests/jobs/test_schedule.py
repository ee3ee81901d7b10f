"""The slot due at a moment: the local day's run once its time has come, else the day before; DST-correct."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from keel.jobs.schedule import MAX_ATTEMPTS, Daily, retry_delay

NY = ZoneInfo("America/New_York")
SCAN = Daily("silence_scan", time(6, 0))


def test_after_the_hour_the_slot_is_today() -> None:
    slot, start = SCAN.due(datetime(2026, 6, 10, 10, 30, tzinfo=UTC), NY)  # 06:30 in New York
    assert slot == "2026-06-10"
    assert start == datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


def test_before_the_hour_the_slot_is_yesterday() -> None:
    slot, _ = SCAN.due(datetime(2026, 6, 10, 9, 59, tzinfo=UTC), NY)  # 05:59 in New York
    assert slot == "2026-06-09"


def test_the_local_day_decides_not_the_utc_day() -> None:
    slot, _ = SCAN.due(datetime(2026, 6, 11, 2, 0, tzinfo=UTC), NY)  # 22:00 on the 10th in New York
    assert slot == "2026-06-10"


def test_the_run_keeps_its_local_hour_across_the_spring_change() -> None:
    _, before = SCAN.due(datetime(2026, 3, 7, 12, 0, tzinfo=UTC), NY)
    _, after = SCAN.due(datetime(2026, 3, 8, 12, 0, tzinfo=UTC), NY)
    assert before.astimezone(NY).hour == after.astimezone(NY).hour == 6
    assert after - before == timedelta(hours=23)


def test_the_run_keeps_its_local_hour_across_the_fall_change() -> None:
    _, before = SCAN.due(datetime(2026, 10, 31, 12, 0, tzinfo=UTC), NY)
    _, after = SCAN.due(datetime(2026, 11, 1, 12, 0, tzinfo=UTC), NY)
    assert after - before == timedelta(hours=25)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        SCAN.due(datetime(2026, 6, 10, 10, 0), NY)


def test_retries_wait_then_stop() -> None:
    assert [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)] == [
        timedelta(minutes=1),
        timedelta(minutes=10),
        None,
    ]


def test_backoff_reuses_the_retry_delays_and_repeats_the_last() -> None:
    from keel.jobs.schedule import backoff

    assert [backoff(n, max_attempts=5) for n in range(1, 6)] == [
        timedelta(minutes=1),
        timedelta(minutes=10),
        timedelta(minutes=10),
        timedelta(minutes=10),
        None,
    ]


def test_backoff_with_one_attempt_never_retries() -> None:
    from keel.jobs.schedule import backoff

    assert backoff(1, max_attempts=1) is None
