"""Episodes of methadone treatment: the one definition of the treatment day, the days in treatment and the
days missed in a row.

An episode starts with the first observed dose on or after the start of the person's current enrollment (an
admission or a readmission); a readmission starts a new episode, so the induction rules apply again. The
treatment day is 1 on the episode's first dose day. The days in treatment used for take-home doses count
from the same day: whether that day is day 0 or day 1 is program policy (`admission_day_number`, reference
correction 9), and every screen and the API show the same number because they all call these functions.

Every argument is a calendar date (the person's local day, `patients.models.local_today`), never an instant:
a day is a day whether its wall clock had 23 or 25 hours (a daylight-saving change), so the arithmetic here
is whole calendar days and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
# Days the missed-dose count looks back (`treatment.queries.doses.MISS_LOOKBACK`): a count is at most this,
# so a count of this many is said as "this many or more" (lane fix35e, review 35e H5).
MISS_LOOKBACK = 30


def days_between(since: date, today: date) -> int:
    """Whole calendar days from `since` to `today`: 0 on the day itself, negative before it."""
    return (today - since).days


def treatment_day(first_dose_on: date | None, today: date) -> int:
    """1 on the episode's first dose day (and before any dose: today would be day 1)."""
    if first_dose_on is None or first_dose_on > today:
        return 1
    return days_between(first_dose_on, today) + 1


def days_in_treatment(first_dose_on: date | None, today: date, admission_day_number: int) -> int:
    """Days in treatment for take-home doses: the episode's first dose day is day 0 or day 1 (policy)."""
    return counted_day(treatment_day(first_dose_on, today), admission_day_number)


def counted_day(day_of_episode: int, admission_day_number: int) -> int:
    """The day in treatment every screen shows (reference correction 9: "every screen shows the same
    count"; lane fix33d, review 33c hole 3) for the `day_of_episode`-th day of the episode (1 on the first
    dose day: `treatment_day`, what a dose stores and the induction steps read): the first dose day is day 0
    or day 1 by the program's policy (`admission_day_number`)."""
    return day_of_episode - 1 + admission_day_number


def days_in_treatment_since(admitted_on: date, today: date, admission_day_number: int) -> int:
    """Days in treatment counted from an admission date given as is (the take-home rule's `admitted_on`):
    the admission day is day 0 or day 1 (policy); a day before it counts below that (the caller refuses a
    negative count)."""
    return days_between(admitted_on, today) + admission_day_number


def missed_days_after(last_covered: date, today: date, most: int) -> int:
    """Days in a row before today after `last_covered` (the newest day that was not a miss: a dose, a
    take-home day, or the day before the episode's first dose), from 0 (covered yesterday or later) up to
    `most`."""
    return max(0, min(most, days_between(last_covered, today - ONE_DAY)))


def missed_days_in_a_row(
    first_dose_on: date | None, today: date, covered: Callable[[date], bool], most: int
) -> int:
    """Observed days missed in a row before today, counted back from yesterday while a day of the episode is
    not `covered` (a dose with an amount, a take-home day), at most `most`; 0 without a first dose before
    today."""
    if first_dose_on is None or first_dose_on >= today:
        return 0
    missed, day = 0, today - ONE_DAY
    while day >= first_dose_on and not covered(day) and missed < most:
        missed += 1
        day -= ONE_DAY
    return missed
