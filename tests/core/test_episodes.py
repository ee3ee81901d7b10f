"""The one definition of an episode's days (`keel.core.episodes`): the treatment day, the days in treatment
for take-home doses and the days missed in a row, on the day of admission, across a daylight-saving change,
after a readmission and for an episode that ends the day it began."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from keel.core import episodes
from keel.core.rules.methadone import TAKE_HOME, TAKE_HOME_INPUTS

D = date(2026, 11, 16)
CHICAGO = ZoneInfo("America/Chicago")


def day(n: int) -> date:
    return D + timedelta(days=n)


# --- the treatment day and the days in treatment ---


def test_the_day_of_the_first_dose_is_treatment_day_one() -> None:
    assert episodes.treatment_day(D, D) == 1


def test_before_any_dose_today_would_be_day_one() -> None:
    assert episodes.treatment_day(None, D) == 1


def test_a_first_dose_dated_after_today_counts_as_no_dose() -> None:
    assert episodes.treatment_day(day(3), D) == 1


def test_the_treatment_day_counts_calendar_days() -> None:
    assert episodes.treatment_day(D, day(1)) == 2
    assert episodes.treatment_day(D, day(29)) == 30


@pytest.mark.parametrize(("number", "expected"), [(0, 0), (1, 1)])
def test_the_admission_day_is_day_zero_or_one_by_policy(number: int, expected: int) -> None:
    assert episodes.days_in_treatment(D, D, number) == expected
    assert episodes.days_in_treatment(D, day(90), number) == 90 + expected


def test_days_in_treatment_before_any_dose_is_the_admission_day_number() -> None:
    assert episodes.days_in_treatment(None, D, 0) == 0
    assert episodes.days_in_treatment(None, D, 1) == 1


def test_days_in_treatment_since_an_admission_date_agrees_from_the_admission_day_on() -> None:
    for n in range(0, 40):
        for number in (0, 1):
            assert episodes.days_in_treatment_since(D, day(n), number) == episodes.days_in_treatment(
                D, day(n), number
            )


def test_a_day_before_the_admission_counts_below_it() -> None:
    assert episodes.days_in_treatment_since(D, day(-1), 0) == -1
    assert episodes.days_in_treatment_since(D, day(-1), 1) == 0


@pytest.mark.parametrize(
    ("first_local", "later_local"),
    [
        # fall back (2026-11-01 in Chicago): a 25-hour day between the two doses
        (datetime(2026, 10, 31, 9, 0), datetime(2026, 11, 1, 8, 30)),
        # spring forward (2026-03-08): a 23-hour day between the two doses
        (datetime(2026, 3, 7, 9, 0), datetime(2026, 3, 8, 9, 30)),
    ],
)
def test_a_daylight_saving_change_does_not_shift_the_count(
    first_local: datetime, later_local: datetime
) -> None:
    first = first_local.replace(tzinfo=CHICAGO)
    later = later_local.replace(tzinfo=CHICAGO)
    # the local calendar days, read back from the instants as a screen does
    first_day = first.astimezone(UTC).astimezone(CHICAGO).date()
    later_day = later.astimezone(UTC).astimezone(CHICAGO).date()
    assert episodes.treatment_day(first_day, later_day) == 2
    assert episodes.days_in_treatment(first_day, later_day, 0) == 1
    assert episodes.days_between(first_day, later_day) == 1


def test_a_readmission_starts_the_count_again() -> None:
    # first episode from D; discharged at day(40); readmitted, first dose of the new episode at day(60)
    assert episodes.treatment_day(D, day(59)) == 60
    assert episodes.treatment_day(day(60), day(60)) == 1
    assert episodes.days_in_treatment(day(60), day(61), 0) == 1


def test_an_episode_that_ends_the_day_it_began_is_on_day_one() -> None:
    assert episodes.treatment_day(D, D) == 1
    assert episodes.days_in_treatment(D, D, 0) == 0
    assert episodes.missed_days_in_a_row(D, D, lambda d: False, 30) == 0


def test_the_take_home_rule_counts_from_an_admission_date_the_same_way() -> None:
    met = {f.name: True for f in TAKE_HOME_INPUTS if f.kind == "bool"}
    for number in (0, 1):
        policy = {"admission_day_number": number}
        dated = TAKE_HOME.run({"admitted_on": D.isoformat(), "today": day(31).isoformat(), **met}, policy)
        days = episodes.days_in_treatment(D, day(31), number)
        counted = TAKE_HOME.run({"days_in_treatment": days, **met}, policy)
        assert dated.details == counted.details
        assert dated.reasons == counted.reasons


# --- the days missed in a row ---


def test_no_first_dose_before_today_misses_nothing() -> None:
    assert episodes.missed_days_in_a_row(None, D, lambda d: False, 30) == 0
    assert episodes.missed_days_in_a_row(D, D, lambda d: False, 30) == 0


def test_days_missed_count_back_from_yesterday_to_the_first_dose() -> None:
    assert episodes.missed_days_in_a_row(D, day(4), lambda d: d == D, 30) == 3
    assert episodes.missed_days_in_a_row(D, day(4), lambda d: False, 30) == 4


def test_a_covered_day_stops_the_count() -> None:
    assert episodes.missed_days_in_a_row(D, day(10), lambda d: d == day(8), 30) == 1
    assert episodes.missed_days_in_a_row(D, day(10), lambda d: d == day(9), 30) == 0


def test_the_count_stops_at_the_look_back() -> None:
    assert episodes.missed_days_in_a_row(D, day(100), lambda d: False, 30) == 30


@pytest.mark.parametrize(
    ("last_covered", "today", "expected"),
    [(day(9), day(10), 0), (day(10), day(10), 0), (day(7), day(10), 2), (day(-50), day(10), 30)],
)
def test_missed_days_after_the_last_covered_day(last_covered: date, today: date, expected: int) -> None:
    assert episodes.missed_days_after(last_covered, today, 30) == expected


def test_the_two_counts_agree() -> None:
    doses = {D, day(3), day(4), day(9)}
    for n in range(1, 45):
        newest = max(d for d in doses | {D - timedelta(days=1)} if d < day(n))
        assert episodes.missed_days_in_a_row(
            D, day(n), lambda d: d in doses, 30
        ) == episodes.missed_days_after(newest, day(n), 30)
