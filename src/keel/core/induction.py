"""A buprenorphine induction counted in dosing days (review 13c): the one definition of which day of an
induction today is, and when buprenorphine starts again.

An induction begins on a dosing day that is the episode's first, that follows `restart_gap_days` or more days
in a row without buprenorphine (a restart, source keel-bup-restart), or whose first dose follows methadone
taken since the last buprenorphine dose (a switch from a full agonist: precipitated withdrawal, reference
9.6). Its first dosing day is day 1 and its second dosing day is day 2, whatever calendar days pass between
(fewer than the restart gap); later days are maintenance. A low-dose schedule is not counted here: its own
step (`low_dose_progress`, counted in doses given) sets the amount, and a full agonist taken alongside it is
the method (Hammig 2016).

Plain Python: no Django, no clock (`now` is passed in).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

DAY1, DAY2, MAINTENANCE = "day1", "day2", "maintenance"


@dataclass(frozen=True)
class Induction:
    phase: str  # DAY1, DAY2 or MAINTENANCE: the day limit that applies today
    starts_today: bool  # today is an induction's first dosing day (a first dose, a restart, a switch)
    restart_after_days: int  # the days in a row without buprenorphine before this induction (0: none)
    after_full_agonist: bool  # methadone taken since the last buprenorphine dose, up to now


def _between(times: Sequence[datetime], after: datetime | None, until: datetime) -> bool:
    return any((after is None or t > after) and t <= until for t in times)


def buprenorphine_induction(
    doses: Sequence[tuple[date, datetime]],
    *,
    episode_first: date | None,
    today: date,
    now: datetime,
    full_agonist: Sequence[datetime],
    restart_gap_days: float,
) -> Induction:
    """Today's place in a buprenorphine induction. `doses`: the buprenorphine doses taken in this episode
    (local day, when given), up to now, at least those of today and of the two latest dosing days before
    it; `full_agonist`: when methadone was taken (doses, take-home days, reported uses) since the earliest
    of them."""
    times = sorted(t for d, t in doses if d <= today and t <= now)
    last = times[-1] if times else None
    after_agonist = last is not None and _between(full_agonist, last, now)
    past = sorted({d for d, _ in doses if d < today})
    if not past:  # the episode's first dosing day (or nothing before today in it)
        return Induction(DAY1, True, 0, after_agonist)

    def last_on(day: date) -> datetime:
        return max(t for d, t in doses if d == day)

    def first_on(day: date) -> datetime | None:
        return min((t for d, t in doses if d == day), default=None)

    yesterday_dosed = past[-1]
    missed = (today - yesterday_dosed).days - 1
    if missed >= restart_gap_days:
        return Induction(DAY1, True, missed, after_agonist)
    if after_agonist or _between(full_agonist, last_on(yesterday_dosed), first_on(today) or now):
        return Induction(DAY1, True, 0, after_agonist)  # a switch from methadone today
    if yesterday_dosed == episode_first:
        return Induction(DAY2, False, 0, after_agonist)
    if len(past) < 2:  # the dosing day before it was not read: an induction's day 2 was long ago
        return Induction(MAINTENANCE, False, 0, after_agonist)
    before = past[-2]
    gap = (yesterday_dosed - before).days - 1
    if gap >= restart_gap_days:
        return Induction(DAY2, False, gap, after_agonist)
    if _between(full_agonist, last_on(before), first_on(yesterday_dosed) or now):
        return Induction(DAY2, False, 0, after_agonist)
    return Induction(MAINTENANCE, False, 0, after_agonist)


@dataclass(frozen=True)
class LowDoseProgress:
    step: int  # the schedule's step today: the one after the last step given (1: none given yet)
    last_given_on: date | None  # the last day before today a step was given
    missed_days: int  # days in a row without a step since then, up to yesterday


def low_dose_progress(dosed_days: Iterable[date], today: date) -> LowDoseProgress:
    """Where a low-dose schedule stands today, counted in doses given, not calendar days (issue #13): one
    step a dosing day (a second dose the same day does not advance it), so a missed day resumes at the step
    after the last one given, never at the calendar day's higher step (the receptor occupancy the missed
    steps would have built is not there: precipitated withdrawal). `dosed_days`: the days a dose under the
    schedule was taken. Whether the gap since is long enough that a prescriber must restart the schedule is
    the buprenorphine restart gap (`restart_gap_days`, keel-bup-restart), decided by the dose limit rule."""
    past = sorted({d for d in dosed_days if d < today})
    if not past:
        return LowDoseProgress(1, None, 0)
    return LowDoseProgress(len(past) + 1, past[-1], (today - past[-1]).days - 1)
