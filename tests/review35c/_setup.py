"""Set-up for review 35c (the director's month): people of Riverside with episodes of care and pharmacy fills,
dated relative to the program's today, and the director's report read as the program admin sees it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from keel.measures import queries
from keel.patients.models import Enrollment, EnrollmentStatus, Patient
from keel.treatment.models import FillSource, MedicationFill, MedicationOrder


def today(world: Any) -> date:
    return queries.program_today(world.riverside)


def day(world: Any, offset: int) -> date:
    """The program's today plus `offset` days (negative: in the past)."""
    return today(world) + timedelta(days=offset)


def person(world: Any, mrn: str, *, born: date | None = None) -> Patient:
    """A Riverside patient with no episode yet (an adult unless `born` says otherwise)."""
    return Patient.objects.create(
        program=world.riverside,
        record_number=mrn,
        given_name="Test",
        family_name=mrn,
        date_of_birth=born or day(world, -40 * 365),
    )


def episode(
    world: Any,
    patient: Patient,
    started: int,
    *,
    ended: int | None = None,
    reason: str = "",
    kind: str = "otp",
) -> Enrollment:
    """An episode of care from `started` (days from today) to `ended` (None: still in care) for `reason`."""
    return Enrollment.objects.create(
        patient=patient,
        program=world.riverside,
        started_on=day(world, started),
        ended_on=day(world, ended) if ended is not None else None,
        end_reason=reason,
        status=EnrollmentStatus.ENDED if ended is not None else EnrollmentStatus.ACTIVE,
        kind=kind,
    )


def order(world: Any, patient: Patient, starts: int, medication: str = "buprenorphine") -> MedicationOrder:
    return MedicationOrder.objects.create(
        patient=patient,
        medication=medication,
        rxnorm="1819",
        dose_mg=Decimal("16"),
        starts_on=day(world, starts),
        prescriber=world.staff["prescriber"],
        created_at=timezone.now(),
    )


def fill(world: Any, patient: Patient, rx: MedicationOrder, filled: int, supply: int) -> MedicationFill:
    """A pharmacy fill on `filled` (days from today) of `supply` days."""
    return MedicationFill.objects.create(
        patient=patient,
        order=rx,
        filled_on=day(world, filled),
        days_supply=supply,
        source=FillSource.PHARMACY,
        recorded_by=world.staff["nurse"],
        recorded_at=timezone.now(),
    )


def report(world: Any, start: int = -90) -> queries.Report:
    """The director's report from `start` (days from today) to today, raw counts (her own page)."""
    return queries.report(
        world.staff["program_admin"],
        program_slug="riverside",
        raw={"start": day(world, start).isoformat(), "end": today(world).isoformat()},
        raw_counts=True,
    )
