"""A second opioid agonist the same day at the window (review 19a): methadone after buprenorphine given here
today waits for a prescriber's switch override for the day (`keel.core.rules.agonists`, the one rule; the
reverse is the buprenorphine start gate's)."""

from __future__ import annotations

from datetime import date

from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.rules.agonists import second_agonist
from keel.patients.models import Patient
from keel.treatment.models import DoseOverride, Medication, MedicationOrder, OverrideKind
from keel.treatment.queries import DoseContext
from keel.treatment.services.common import DoseBlocked, _audit


def second_agonist_gate(
    *, by: User, patient: Patient, medication: str, ctx: DoseContext, today: date, held: bool
) -> None:
    """Nothing unless a dose of methadone comes after buprenorphine given here today and taken (the day's
    context, read with the other medications: `ctx.others_taken_today`), outside a low-dose buprenorphine
    start, with no switch override of the prescriber's for today; then the denial is audited and DoseBlocked
    says why. A hold gives nothing: it passes (it must reach a prescriber). Reads nothing more on a day with
    no other agonist given."""
    agonists = (Medication.METHADONE, Medication.BUPRENORPHINE)
    taken = [d for d in ctx.others_taken_today if d.medication in agonists]
    if held or medication != Medication.METHADONE or not taken:
        return
    orders = {d.order_id for d in taken if d.medication == Medication.BUPRENORPHINE}
    schedules = list(MedicationOrder.objects.filter(pk__in=orders).values_list("schedule", flat=True))
    low_dose = bool(schedules) and all(schedules)  # every buprenorphine dose today a low-dose step
    documented = DoseOverride.objects.filter(
        patient=patient,
        medication=medication,
        local_date=today,
        kind=OverrideKind.SWITCH,
        ended_at__isnull=True,
    ).exists()
    decision = second_agonist(
        medication, (d.medication for d in taken), low_dose_start=low_dose, documented=documented
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
