"""Set-up for review 35e (the care team's morning): Riverside people with episodes of care and check-ins
dated from the program's today, and the caseload read as a given role reads it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from keel.careteam import queries
from keel.patients.models import EndReason, Enrollment, EnrollmentStatus, Patient, local_today
from keel.recovery.models import CheckIn


def day(patient: Patient, offset: int) -> date:
    """The person's today (their program's zone) plus `offset` days (negative: in the past)."""
    return local_today(patient, timezone.now()) + timedelta(days=offset)


def episode(patient: Patient, started: int, *, ended: int | None = None, reason: str = "") -> Enrollment:
    """An episode of care from `started` (days from today) to `ended` (None: still in care) for `reason`."""
    return Enrollment.objects.create(
        patient=patient,
        program=patient.program,
        started_on=day(patient, started),
        ended_on=day(patient, ended) if ended is not None else None,
        end_reason=reason,
        status=EnrollmentStatus.ENDED if ended is not None else EnrollmentStatus.ACTIVE,
    )


def died(patient: Patient, on: int) -> None:
    """Her episode in care ended with her death on `on` (days from today), as the desk records it."""
    Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.ENDED, ended_on=day(patient, on), end_reason=EndReason.DECEASED
    )


def checkins(patient: Patient, offsets: range | list[int], *, craving: int = 3, mood: int = 3) -> None:
    """A check-in on each of these days (days from today)."""
    now = timezone.now()
    for offset in offsets:
        CheckIn.objects.create(
            patient=patient,
            local_date=day(patient, offset),
            craving=craving,
            mood=mood,
            used=False,
            medication="not_on_medication",
            created_at=now,
            updated_at=now,
        )


def row_of(user: Any, patient: Patient, status: str | None = None) -> queries.CaseloadRow:
    """The person's row in the user's caseload."""
    return next(r for r in queries.caseload(user, status=status) if r.id == patient.pk)


def on_team(world: Any, given: str, family: str, mrn: str, role: str = "nurse") -> Patient:
    """A Riverside person in care (an episode from 30 days ago) on the `role` persona's care team."""
    from keel.patients.models import CareTeamMember

    patient = Patient.objects.create(
        program=world.riverside,
        record_number=mrn,
        given_name=given,
        family_name=family,
        date_of_birth=day(world.alice, -40 * 365),
    )
    episode(patient, -30)
    CareTeamMember.objects.create(patient=patient, user=world.staff[role])
    return patient


def methadone_since(world: Any, started: int) -> Any:
    """A methadone 80 mg order for Alice in force since `started` (days from today), written by the
    prescriber (a row: the history, not the behaviour under test)."""
    from decimal import Decimal

    from keel.treatment.models import MedicationOrder

    return MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal("80"),
        starts_on=day(world.alice, started),
        prescriber=world.staff["prescriber"],
        created_at=timezone.now() + timedelta(days=started),
    )
