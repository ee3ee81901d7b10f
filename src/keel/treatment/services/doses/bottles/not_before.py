"""Lane bottle39 (re-attack 38t finding 1): the earliest moment a take-home bottle whose day follows an
observed dose may be drunk. 80 mg at the window at 23:00 and tomorrow's 80 mg bottle: at 00:00 she would have
160 mg within an hour, a dose the window itself refuses (the previous program day's doses within the
program's same_day_hours count with a dose, lane fix38e). Not a keep-back (that ends the whole plan): the
bottle says when she may take it, the day's last counted dose plus those hours
(`core.take_home_bottles.not_before`, the one definition; the program's policy value, no new number).

`counted_doses` is what counts with the bottle's day (the dose's day's doses taken, with the dose being given
when not yet saved); `bottle_moment` the moment it is judged at (`hand_out.bottle_verdict`); `note_not_before`
writes what she is told on the plan (`TakeHomePlan.bottle_not_before`), decided again at every change of the
day's total (`redecide.dispatch.redecide_bottles`' callers: the window, a correction, a plan decided after
the day's dose). A void of the dose takes the time away.

Re-attack 39m: ONE definition, whichever path hands the bottle out: a run's first bottle whose day starts
within the hours of its previous day's last counted dose (tomorrow's after today's dose, or today's at a
decision the morning after a late dose) says its earliest time and is judged at it (`first_counted`); each
next bottle of the run whose day starts within the hours of the previous bottle's earliest time says its own
(`run_told`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from keel.core.take_home_bottles import not_before, run_start
from keel.patients.models import Patient, zone_of
from keel.treatment.models import Medication, TakeHomePlan
from keel.treatment.queries.doses import taken_on
from keel.treatment.queries.take_home_plans import bottle_days
from keel.treatment.services.common import GUARD_RAILS, guard_rail_policy


def same_day_hours(patient: Patient) -> float:
    """The program's methadone same_day_hours (policy value, source keel-same-day-hours)."""
    return float(guard_rail_policy(patient, GUARD_RAILS[Medication.METHADONE])["same_day_hours"])


def counted_doses(
    patient: Patient, today: date, given: Decimal | None, now: datetime
) -> list[tuple[datetime, Decimal]]:
    """The methadone doses of `today` that count with the bottle of the day after (each: when given, else
    recorded, and its mg after corrections: `queries.doses.taken_on`); `given`, the day's total as the
    caller reads it: what it holds beyond the doses saved is the dose being given, at `now`."""
    taken = taken_on(patient, Medication.METHADONE, today)
    rest = (given or Decimal(0)) - sum((mg for _when, mg in taken), Decimal(0))
    return [*taken, (now, rest)] if rest > 0 else taken


def bottle_moment(
    patient: Patient, counted: list[tuple[datetime, Decimal]], on: date, now: datetime
) -> datetime:
    """The moment the bottle for `on` is judged at: the earliest she may take it (`not_before` of the doses
    `counted` with its day), else its day's start, never before `now`."""
    zone = zone_of(patient)
    start = datetime.combine(on, time.min, tzinfo=zone)
    moment = not_before(((w, float(mg)) for w, mg in counted), same_day_hours(patient), on, zone)
    return max(moment or start, now)


def first_counted(
    patient: Patient, run: list[date], today: date, given: Decimal | None, now: datetime, dosed_today: bool
) -> list[tuple[datetime, Decimal]]:
    """The doses that count with the first bottle of `run` (sorted): its previous day's (`counted_doses`):
    today's, with the dose being given, when it starts tomorrow after today's observed dose; yesterday's
    when it starts today with no dose today (re-attack 39m finding 1: a run decided the morning after a
    late dose); else none."""
    if run and dosed_today and run[0] == today + timedelta(days=1):
        return counted_doses(patient, today, given, now)
    if run and not dosed_today and run[0] == today:
        return counted_doses(patient, today - timedelta(days=1), None, now)
    return []


def run_told(patient: Patient, start: date, now: datetime, bottle_mg: dict[str, str]) -> dict[str, str]:
    """What she is told of the run of bottles handed out (`bottle_mg`) from `start`: {ISO day: the earliest
    moment she may take it, a UTC instant} for the first bottle when that falls inside its day after its
    previous day's doses (`counted_doses`), then (re-attack 39m finding 2) each next bottle of the run
    whose day starts within same_day_hours of the previous bottle's earliest moment (that moment plus the
    hours). Empty when the first falls before its day, is not handed out, or no dose of its previous day
    stands."""
    if start.isoformat() not in bottle_mg:
        return {}
    counted = [(w, float(mg)) for w, mg in counted_doses(patient, start - timedelta(days=1), None, now)]
    hours, zone = same_day_hours(patient), zone_of(patient)
    told: dict[str, str] = {}
    day = start
    while day.isoformat() in bottle_mg and (moment := not_before(counted, hours, day, zone)) is not None:
        told[day.isoformat()] = moment.astimezone(UTC).isoformat()
        counted = [(moment, float(bottle_mg[day.isoformat()]))]
        day += timedelta(days=1)
    return told


def told_not_before(
    patient: Patient, today: date, now: datetime, bottle_mg: dict[str, str]
) -> dict[str, str]:
    """What a plan decided at `now` tells her of the run it hands out then (`bottle_mg`: a run starting
    today, or tomorrow after today's observed dose; `run_told`)."""
    first = min((date.fromisoformat(iso) for iso in bottle_mg), default=None)
    if first is None or first not in (today, today + timedelta(days=1)):
        return {}
    return run_told(patient, first, now, bottle_mg)


def note_not_before(patient: Patient, today: date, now: datetime, plans: Iterable[TakeHomePlan]) -> None:
    """Each plan's record of what she is told of the run starting the day after `today` (`run_told`: its
    bottles follow `today`'s doses, whether handed out at today's dose or at a decision the next morning),
    decided again at every change of `today`'s total (a dose, a correction, a void). `plans`: the plans the
    change read (their record of bottles handed out as the change left it); no statement is run unless one
    of them has that run handed out or told. A run that started earlier is not this day's to tell."""
    tomorrow = today + timedelta(days=1)
    for plan in plans:
        days = bottle_days(plan)
        if tomorrow in days and run_start(tomorrow, days) != tomorrow:
            continue
        run = {tomorrow.isoformat()}
        while date.fromisoformat(max(run)) + timedelta(days=1) in days:
            run.add((date.fromisoformat(max(run)) + timedelta(days=1)).isoformat())
        old = plan.bottle_not_before or {}
        handed = tomorrow.isoformat() in (plan.bottle_mg or {}) and tomorrow in days
        if not handed and not run & old.keys():
            continue
        told = {k: v for k, v in old.items() if k not in run}
        if handed:
            told.update(run_told(patient, tomorrow, now, plan.bottle_mg or {}))
        if told != old:
            plan.bottle_not_before = told
            TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_not_before=told)
