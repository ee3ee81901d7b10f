"""The moment a discharge ends an episode of care (lane discharge39): the one definition of "after the
discharge" for every dose path (a dose at the window, a late entry with its real time, a take-home bottle).

A discharge is recorded on a day (`Enrollment.ended_on`, the program's calendar) and at a moment
(`Enrollment.ended_at`, an instant). A discharge of today happens when it is recorded: what was given before
it stands, and a dose given before it may still be recorded afterwards with its time (a late entry); nothing
given at or after it is. A discharge written for an earlier day (backdated) ends at the end of that day (the
next day's start on the program's clock): every dose of its day stands, as it did before this lane (a
discharge never ends before a dose recorded in its episode). Plain Python: no Django, no clock (`now` is
passed)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo


def start_of_day(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` on `zone`'s clock (an episode ended before the moment was kept: its
    moment, the safe reading that refuses every dose of its discharge day recorded after it)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def discharge_moment(ended_on: date, today: date, now: datetime, zone: tzinfo) -> datetime:
    """When a discharge recorded at `now` (the program's day `today`) for the day `ended_on` ends the
    episode: now, for a discharge of today; the end of its day (the next day's start), for an earlier day."""
    if ended_on >= today:
        return now
    return start_of_day(ended_on + timedelta(days=1), zone)


def after_discharge(at: datetime, moment: datetime) -> bool:
    """Whether a dose given at `at` is after the discharge that ended the episode at `moment` (at it counts
    as after: nothing is given once the episode has ended)."""
    return at >= moment
