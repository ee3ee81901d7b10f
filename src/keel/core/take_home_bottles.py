"""Take-home bottles the person still holds (42 CFR 8.12(i) limits the take-home supply a person holds at one
time): the one definition the supply check and the take-home page read (review 19a).

A bottle goes home at the last observed dose before its day: the bottles of a run of consecutive bottle
days leave the clinic together, at the observed dose the day before the run starts (or on the day the plan
was decided, for a run starting that day). Ending a plan stops its bottles covering days, but a bottle
already handed out is still in the person's hands until it is brought back unopened (or the dose of its day
is given at the window instead, the bottle returned): whatever ended the plan (a prescriber, discharge, a
hold), such a bottle keeps counting against the supply for the day it covers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta


def run_start(day: date, bottles: set[date]) -> date:
    """The first day of the run of consecutive bottle days that holds `day`."""
    start = day
    while start - timedelta(days=1) in bottles:
        start -= timedelta(days=1)
    return start


def handed_out(
    day: date, bottles: set[date], decided_on: date, visits: set[date], ended_day: date | None
) -> bool:
    """Whether the bottle for `day` left the clinic: its run starts on the day the plan was decided (handed
    out then), or the person took an observed dose the day before the run starts, on or after the decision;
    a hand-out after the plan ended (`ended_day`, the day it was ended) never happened."""
    start = run_start(day, bottles)
    given_on = start if start == decided_on else start - timedelta(days=1)
    if given_on < decided_on or (ended_day is not None and given_on > ended_day):
        return False
    return start == decided_on or given_on in visits


def bottles_held(
    *,
    bottles: Iterable[date],
    decided_on: date,
    ended_on: date | None,
    ended_day: date | None,
    returned: Iterable[date],
    visits: Iterable[date],
    today: date,
) -> set[date]:
    """The plan's bottle days from `today` on that count against the person's supply: a day the plan still
    covers (`ended_on`: the last one; None: the plan stands), or a bottle handed out before the plan ended
    (`handed_out`; `visits`: the days an observed dose was taken while the plan stood), less the bottles
    brought back unopened (`returned`, which also holds a day whose dose was given at the window instead)."""
    days = set(bottles)
    back = set(returned)
    seen = set(visits)
    return {
        day
        for day in days
        if day >= today
        and day not in back
        and (ended_on is None or day <= ended_on or handed_out(day, days, decided_on, seen, ended_day))
    }
