"""A second opioid agonist the same day at the window (review 19a): methadone after buprenorphine given here
today waits for a prescriber's switch override for the day (`keel.core.rules.agonists`, the one rule; the
reverse is the buprenorphine start gate's)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.rules.agonists import second_agonist, within_switch_hours
from keel.core.rules.methadone import DOSE_CHECK
from keel.patients.models import Patient
from keel.treatment.models import DoseOverride, DoseRecord, Medication, MedicationOrder, OverrideKind
from keel.treatment.queries import DoseContext, effective_mg
from keel.treatment.queries.policy import effective_policy
from keel.treatment.services.common import DoseBlocked, _audit
from keel.treatment.services.start import low_dose_step


def second_agonist_gate(
    *, by: User, patient: Patient, medication: str, ctx: DoseContext, today: date, at: datetime, held: bool
) -> None:
    """Nothing unless a dose of methadone at `at` comes within the person's `switch_hours` (program policy,
    `methadone-dose-check`, with a prescriber's override for the person) of buprenorphine given here and
    taken (its time given, else recorded: `agonists.within_switch_hours`, review 22m: 23:30 and 00:30 the
    next day are an hour apart; the context read with the other medications of the days that cover the
    policy's ceiling: `ctx.others_taken_recently`, `agonists.SWITCH_LOOKBACK_DAYS`), outside a low-dose
    buprenorphine start, with no switch override of the prescriber's for today; then the denial is audited
    and DoseBlocked says why, with the hours. A hold gives nothing: it passes (it must reach a prescriber).
    Reads nothing more (not even the policy) when no other agonist was given in the days read."""
    agonists = (Medication.METHADONE, Medication.BUPRENORPHINE)
    recent = [d for d in ctx.others_taken_recently if d.medication in agonists]
    if held or medication != Medication.METHADONE or not recent:
        return
    hours = float(effective_policy(patient, DOSE_CHECK)["switch_hours"])
    taken = [d for d in recent if within_switch_hours(d.given_at or d.recorded_at, at, hours=hours)]
    if not taken:
        return
    low_dose = all(
        low_dose_steps_today(patient, [d for d in taken if d.local_date == day], day)
        for day in {d.local_date for d in taken if d.medication == Medication.BUPRENORPHINE}
    )
    documented = DoseOverride.objects.filter(
        patient=patient,
        medication=medication,
        local_date=today,
        kind=OverrideKind.SWITCH,
        ended_at__isnull=True,
    ).exists()
    decision = second_agonist(
        medication, (d.medication for d in taken), low_dose_start=low_dose, documented=documented, hours=hours
    )
    if decision is None:
        return
    _audit(
        by,
        patient,
        Action.DENIED,
        "dose",
        outcome=Outcome.DENIED,
        reason="guard rail: a second opioid agonist the same day",
    )
    raise DoseBlocked(decision)


def low_dose_steps_today(patient: Patient, doses: list[DoseRecord], today: date) -> bool:
    """Whether every buprenorphine dose given on `today` (the doses' day) is a step of a low-dose schedule
    (review 20a): its order has one, today is one of its steps (`start.low_dose_step`: counted in days
    dosed under it, so a schedule that ended weeks ago, the person now on the full dose under the same
    order, has no step today) and the day's buprenorphine under that order is at most that step's mg.
    Hammig 2016 covers methadone alongside the schedule's days, not a month later; otherwise the
    prescriber's switch override is needed."""
    if not doses:
        return False
    by_order: dict[int, Decimal] = {}
    for d in doses:
        by_order[d.order_id] = by_order.get(d.order_id, Decimal(0)) + effective_mg(d)
    orders = MedicationOrder.objects.in_bulk(list(by_order))
    for pk, mg in by_order.items():
        order = orders.get(pk)
        step = None if order is None else low_dose_step(patient, order, today)
        if step is None or mg > Decimal(str(step["schedule_mg"])):
            return False
    return True
