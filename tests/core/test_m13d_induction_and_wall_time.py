"""Lane m13d (review 13c round 3): a buprenorphine induction counted in dosing days, a low-dose schedule's
day counted from its first step, and a typed wall time read the safe way. One fact per test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from keel.core import wall_time
from keel.core.induction import DAY1, DAY2, MAINTENANCE, Induction, buprenorphine_induction, low_dose_progress

NY = ZoneInfo("America/New_York")
D = date(2026, 11, 16)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=NY)


def day(n: int) -> date:
    return D + timedelta(days=n)


def induction(
    doses: list[int], today: int, *, methadone: tuple[datetime, ...] = (), hour: int = 9
) -> Induction:
    return buprenorphine_induction(
        [(day(n), at(day(n))) for n in doses],
        episode_first=day(min(doses)) if doses else None,
        today=day(today),
        now=at(day(today), hour),
        full_agonist=methadone,
        restart_gap_days=5,
    )


def test_the_first_dose_ever_starts_an_induction_on_day_1() -> None:
    i = induction([], 0)
    assert (i.phase, i.starts_today) == (DAY1, True)


def test_the_second_dosing_day_after_two_missed_days_is_day_2() -> None:
    assert induction([0], 3).phase == DAY2


def test_the_third_dosing_day_is_maintenance_whatever_the_calendar() -> None:
    assert induction([0, 3], 5).phase == MAINTENANCE


def test_four_missed_days_are_not_a_restart() -> None:
    assert induction([0, 1, 2], 7).starts_today is False


def test_five_missed_days_are_a_restart_on_day_1() -> None:
    i = induction([0, 1, 2], 8)
    assert (i.phase, i.starts_today, i.restart_after_days) == (DAY1, True, 5)


def test_the_dosing_day_after_a_restart_is_day_2_even_after_a_missed_day() -> None:
    i = induction([0, 1, 2, 8], 10)
    assert (i.phase, i.restart_after_days) == (DAY2, 5)


def test_methadone_since_the_last_buprenorphine_dose_starts_again() -> None:
    i = induction([0, 1, 2], 3, methadone=(at(day(3), 8),), hour=11)
    assert (i.phase, i.starts_today, i.after_full_agonist) == (DAY1, True, True)


def test_methadone_before_the_last_buprenorphine_dose_does_not() -> None:
    i = induction([0, 1, 2], 3, methadone=(at(day(1), 8),))
    assert (i.after_full_agonist, i.starts_today) == (False, False)


def test_a_methadone_time_after_now_is_not_taken_yet() -> None:
    """Now is 09:00; a methadone time at 10:00 (a record dated later) has not happened."""
    assert induction([0, 1, 2], 3, methadone=(at(day(3), 10),)).after_full_agonist is False


def test_the_dosing_day_after_a_switch_from_methadone_is_day_2() -> None:
    doses = [0, 1, 2, 3]
    i = buprenorphine_induction(
        [(day(n), at(day(n), 11 if n == 3 else 9)) for n in doses],
        episode_first=day(0),
        today=day(4),
        now=at(day(4)),
        full_agonist=(at(day(3), 9),),
        restart_gap_days=5,
    )
    assert (i.phase, i.after_full_agonist) == (DAY2, False)


def test_a_second_dose_on_a_switch_day_is_not_gated_again() -> None:
    i = buprenorphine_induction(
        [(day(0), at(day(0))), (day(3), at(day(3), 11))],
        episode_first=day(0),
        today=day(3),
        now=at(day(3), 13),
        full_agonist=(at(day(3), 9),),
        restart_gap_days=5,
    )
    assert (i.phase, i.after_full_agonist) == (DAY1, False)


def test_a_low_dose_schedule_never_begun_is_at_day_1() -> None:
    assert low_dose_progress([], day(6)).step == 1


def test_a_low_dose_schedule_counts_from_its_first_step() -> None:
    # issue #13 (lane clin13): counted in dosing days from the first step; the day between was missed
    assert low_dose_progress([day(6)], day(8)).step == 2


# --- A typed wall time --------------------------------------------------------------------------------------

FALL_BACK = datetime(2026, 11, 1, 1, 30)  # New York: 01:30 happens twice
SPRING_FORWARD = datetime(2026, 3, 8, 2, 30)  # New York: 02:30 never happens


def test_an_ambiguous_last_use_is_the_later_instant() -> None:
    got = wall_time.instant(FALL_BACK, NY, ambiguous=wall_time.LATER)
    assert got.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_an_ambiguous_score_time_is_the_earlier_instant() -> None:
    got = wall_time.instant(FALL_BACK, NY, ambiguous=wall_time.EARLIER)
    assert got.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_the_later_instant_carries_its_own_offset() -> None:
    assert wall_time.instant(FALL_BACK, NY, ambiguous=wall_time.LATER).isoformat().endswith("-05:00")


def test_a_skipped_time_is_refused_not_moved() -> None:
    with pytest.raises(wall_time.WallTimeMissing):
        wall_time.instant(SPRING_FORWARD, NY, ambiguous=wall_time.LATER)


def test_an_ordinary_time_is_the_same_either_way() -> None:
    wall = datetime(2026, 11, 16, 8, 0)
    assert wall_time.instant(wall, NY, ambiguous=wall_time.EARLIER) == wall_time.instant(
        wall, NY, ambiguous=wall_time.LATER
    )


def test_the_direction_must_be_named() -> None:
    with pytest.raises(ValueError):
        wall_time.instant(FALL_BACK, NY, ambiguous="first")
