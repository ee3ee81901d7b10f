"""`keel.core.rules.methadone.reinduction_day` (review 22m): the first day of the latest new induction after
missed days, the missed-days rule's one count (`episodes.missed_days_in_a_row`), for the QTc gate."""

from __future__ import annotations

from datetime import date, timedelta

from keel.core.rules.methadone import reinduction_day

TODAY = date(2030, 6, 15)  # plain Python, no clock: any day serves


def _days(*back: int) -> set[date]:
    return {TODAY - timedelta(days=n) for n in back}


def _run(dosed: set[date], first: date | None, n: int = 5, covered: set[date] | None = None) -> date | None:
    seen = dosed | (covered or set())
    return reinduction_day(dosed, seen.__contains__, first, TODAY, n, TODAY - timedelta(days=30))


def test_today_after_five_missed_days_is_a_restart() -> None:
    assert _run(_days(6, 7, 8), TODAY - timedelta(days=8)) == TODAY


def test_four_missed_days_are_no_restart() -> None:
    assert _run(_days(5, 6, 7), TODAY - timedelta(days=7)) is None


def test_the_first_dose_after_the_gap_stays_the_restart_on_the_days_after() -> None:
    # dosed 20-15 days ago, nothing for 9 days, then 5 days ago onwards
    dosed = _days(20, 19, 18, 17, 16, 15, 5, 4, 3, 2, 1)
    assert _run(dosed, TODAY - timedelta(days=20)) == TODAY - timedelta(days=5)


def test_take_home_days_are_not_missed() -> None:
    dosed = _days(20, 19, 5, 4, 3, 2, 1)
    bottles = _days(18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6)
    assert _run(dosed, TODAY - timedelta(days=20), covered=bottles) is None


def test_a_gap_before_what_was_read_is_not_guessed() -> None:
    # dosed every day of the 30 read; what came before them (the episode began 60 days ago) is not read
    dosed = _days(*range(1, 31))
    assert _run(dosed, TODAY - timedelta(days=60)) is None


def test_the_episode_first_day_is_no_restart() -> None:
    assert _run(set(), TODAY) is None
