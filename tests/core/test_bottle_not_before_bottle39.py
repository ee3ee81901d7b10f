"""Lane bottle39 (re-attack 38t finding 1): the earliest moment a take-home bottle whose day follows observed
doses may be drunk (`take_home_bottles.not_before`): the last counted dose's time plus the program's
same_day_hours, on the time line, in the program's zone; None when that falls before the bottle's day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from keel.core.take_home_bottles import not_before

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
AKL = ZoneInfo("Pacific/Auckland")


def _at(day: date, hour: int, zone: ZoneInfo = NY, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def test_a_23_00_dose_and_12_hours_says_11_00_on_the_bottles_day() -> None:
    day = date(2026, 3, 2)
    got = not_before([(_at(day, 23), 80.0)], 12, date(2026, 3, 3), NY)
    assert got == _at(date(2026, 3, 3), 11)
    assert got is not None and got.tzinfo == NY


def test_a_morning_dose_says_only_the_day() -> None:
    day = date(2026, 3, 2)
    assert not_before([(_at(day, 9), 80.0)], 12, date(2026, 3, 3), NY) is None
    assert not_before([(_at(day, 12), 80.0)], 12, date(2026, 3, 3), NY) is None  # exactly midnight: its day


def test_no_dose_no_constraint() -> None:
    assert not_before([], 12, date(2026, 3, 3), NY) is None
    assert not_before([(_at(date(2026, 3, 2), 23), 0.0)], 12, date(2026, 3, 3), NY) is None


def test_a_split_dose_counts_from_its_last_part() -> None:
    day = date(2026, 3, 2)
    doses = [(_at(day, 23, minute=30), 40.0), (_at(day, 14), 40.0)]
    assert not_before(doses, 12, date(2026, 3, 3), NY) == _at(date(2026, 3, 3), 11, minute=30)


def test_a_20_hour_program() -> None:
    day = date(2026, 3, 2)
    assert not_before([(_at(day, 9), 80.0)], 20, date(2026, 3, 3), NY) == _at(date(2026, 3, 3), 5)
    assert not_before([(_at(day, 23), 80.0)], 20, date(2026, 3, 3), NY) == _at(date(2026, 3, 3), 19)


def test_the_day_after_tomorrow_never_gets_a_time() -> None:
    assert not_before([(_at(date(2026, 3, 2), 23, minute=59), 80.0)], 20, date(2026, 3, 4), NY) is None


def test_dst_spring_forward_night_is_23_real_hours() -> None:
    # 2026-03-08 02:00 EST -> 03:00 EDT: 23:00 on the 7th + 12 real hours is 12:00 EDT on the 8th
    assert not_before([(_at(date(2026, 3, 7), 23), 80.0)], 12, date(2026, 3, 8), NY) == _at(
        date(2026, 3, 8), 12
    )


def test_dst_fall_back_night_is_25_real_hours() -> None:
    # 2026-11-01 02:00 EDT -> 01:00 EST: 23:00 on Oct 31 + 12 real hours is 10:00 EST on Nov 1
    got = not_before([(_at(date(2026, 10, 31), 23), 80.0)], 12, date(2026, 11, 1), NY)
    assert got == _at(date(2026, 11, 1), 10)
    assert got is not None and got.astimezone(UTC) == datetime(2026, 11, 1, 15, tzinfo=UTC)


def test_los_angeles_and_auckland() -> None:
    assert not_before([(_at(date(2026, 6, 1), 22, LA), 60.0)], 12, date(2026, 6, 2), LA) == _at(
        date(2026, 6, 2), 10, LA
    )
    # Auckland's clocks go back on 2026-04-05 03:00 NZDT -> 02:00 NZST: 22:00 + 12 real hours is 09:00
    assert not_before([(_at(date(2026, 4, 4), 22, AKL), 60.0)], 12, date(2026, 4, 5), AKL) == _at(
        date(2026, 4, 5), 9, AKL
    )


def test_a_dose_given_in_another_zone_is_the_same_moment() -> None:
    utc = datetime(2026, 3, 3, 4, tzinfo=UTC)  # 23:00 EST on the 2nd
    assert not_before([(utc, 80.0)], 12, date(2026, 3, 3), NY) == _at(date(2026, 3, 3), 11)
