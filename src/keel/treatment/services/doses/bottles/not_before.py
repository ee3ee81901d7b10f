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
the day's dose). Only the first bottle of a run follows the dose; a void of the dose takes the time away."""

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


def told_not_before(
    patient: Patient, today: date, now: datetime, bottle_mg: dict[str, str]
) -> dict[str, str]:
    """What a plan whose record of bottles handed out is `bottle_mg` tells her of the bottle for the day after
    `today` (handed out at `today`'s dose): {its ISO day: the earliest moment she may take it, a UTC
    instant}; empty when that falls before its day, the bottle is not handed out, or no dose of `today`
    stands."""
    tomorrow = today + timedelta(days=1)
    if tomorrow.isoformat() not in bottle_mg:
        return {}
    zone = zone_of(patient)
    counted = counted_doses(patient, today, None, now)
    moment = not_before(((w, float(mg)) for w, mg in counted), same_day_hours(patient), tomorrow, zone)
    return {} if moment is None else {tomorrow.isoformat(): moment.astimezone(UTC).isoformat()}


def note_not_before(patient: Patient, today: date, now: datetime, plans: Iterable[TakeHomePlan]) -> None:
    """Each plan's record of what she is told of the bottle for the day after `today` (`told_not_before`),
    decided again at every change of `today`'s total (a dose, a correction, a void). `plans`: the plans the
    change read (their record of bottles handed out as the change left it); no statement is run unless one
    of them has that day's bottle handed out at `today`'s dose (the first of a run) or told."""
    tomorrow = today + timedelta(days=1)
    iso = tomorrow.isoformat()
    for plan in plans:
        days = bottle_days(plan)  # only a run starting tomorrow leaves with today's dose (`run_from`)
        handed = iso in (plan.bottle_mg or {}) and tomorrow in days and run_start(tomorrow, days) == tomorrow
        if not handed and iso not in (plan.bottle_not_before or {}):
            continue
        told = {k: v for k, v in (plan.bottle_not_before or {}).items() if k != iso}
        if handed:
            told.update(told_not_before(patient, today, now, plan.bottle_mg or {}))
        if told != (plan.bottle_not_before or {}):
            plan.bottle_not_before = told
            TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_not_before=told)
