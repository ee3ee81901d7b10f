"""The dosing window's hours (issue #18): a dose outside the program's hours, in the program's zone (or on a
closure day), waits for a prescriber's override for the day (kind "hours"), like any other guard rail."""

from __future__ import annotations

from datetime import date, datetime

from keel.accounts.models import User
from keel.audit.models import Action, Outcome
from keel.core.dosing_hours import hours_decision
from keel.patients.models import Patient
from keel.treatment.models import DoseOverride, OverrideKind
from keel.treatment.queries.hours import closure_dates
from keel.treatment.services.common import DoseBlocked, _audit


def dosing_hours_gate(
    *, by: User, patient: Patient, medication: str, at: datetime, today: date, held: bool = False
) -> None:
    """Nothing when a dose of `medication` at `at` is inside the program's hours or a prescriber recorded an
    hours override of this medication for this person today (an override names one medication: one for a
    late buprenorphine induction dose does not open the window for the same person's methadone), or when the
    dose is held (a sedated person: nothing is given, and the hold must reach a prescriber whatever the
    hour); else the denial is audited and DoseBlocked names the hours."""
    if held:
        return
    program = patient.program
    decision = hours_decision(
        at,
        program.time_zone,
        program.dosing_opens,
        program.dosing_closes,
        closure_dates(program.closure_days),
    )
    if decision is None:
        return
    if DoseOverride.objects.filter(
        patient=patient,
        medication=medication,
        local_date=today,
        kind=OverrideKind.HOURS,
        ended_at__isnull=True,
    ).exists():
        return
    _audit(
        by,
        patient,
        Action.DENIED,
        "dose",
        outcome=Outcome.DENIED,
        reason="guard rail: outside the dosing window's hours",
    )
    raise DoseBlocked(decision)
