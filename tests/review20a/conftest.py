"""Review 20a: a person on methadone, a prescriber and a nurse on the care team (built here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keel.accounts import services as accounts
from keel.accounts.models import Program
from keel.patients.models import CareTeamMember, Enrollment, Patient
from keel.treatment.models import DoseRecord, MedicationOrder

ZONE = "America/New_York"


@dataclass
class Clinic:
    patient: Patient
    prescriber: object
    nurse: object
    d0: date  # the day the raise is written (a Tuesday-like ordinary day, days in the past)

    def at(self, day: date, hour: int = 10) -> datetime:
        """A moment on `day` in the program's zone (inside dosing hours)."""
        return datetime.combine(day, time(hour, 0), tzinfo=ZoneInfo(ZONE))


def _history(patient: Patient, nurse: object, order: MedicationOrder, first: date, last: date) -> None:
    rows, day = [], first
    while day <= last:
        at = datetime.combine(day, time(9, 0), tzinfo=ZoneInfo(ZONE))
        rows.append(
            DoseRecord(
                patient=patient,
                order=order,
                medication="methadone",
                local_date=day,
                sequence=1,
                status="given",
                amount_mg=order.dose_mg,
                treatment_day=(day - first).days + 10,
                decision={"decision": "allowed", "reasons": [{"text": "history", "sources": []}]},
                recorded_by=nurse,
                given_at=at,
                recorded_at=at,
            )
        )
        day += timedelta(days=1)
    DoseRecord.objects.bulk_create(rows)


@pytest.fixture
def clinic(db: None) -> Clinic:
    program = Program.objects.create(slug="r20a", name="Review 20a OTP", time_zone=ZONE)
    password = "a-long-test-password-20a-!"
    prescriber, _ = accounts.create_user(
        username="r20a.rx", role="prescriber", password=password, program_slug=program.slug
    )
    nurse, _ = accounts.create_user(username="r20a.rn", role="nurse", password=password, program_slug="r20a")
    today = timezone.now().astimezone(ZoneInfo(ZONE)).date()
    d0 = today - timedelta(days=6)
    patient = Patient.objects.create(
        program=program,
        record_number="R20A-1",
        given_name="Test",
        family_name="Person",
        date_of_birth=date(1980, 5, 5),
    )
    Enrollment.objects.create(patient=patient, program=program, started_on=d0 - timedelta(days=60))
    for user in (prescriber, nurse):
        CareTeamMember.objects.create(patient=patient, user=user)
    return Clinic(patient, prescriber, nurse, d0)


def methadone_on(clinic: Clinic, mg: int, *, dosed_until: date) -> MedicationOrder:
    """A stable methadone order of `mg` started 40 days before d0, dosed daily up to `dosed_until`."""
    start = clinic.d0 - timedelta(days=40)
    order = MedicationOrder.objects.create(
        patient=clinic.patient,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(mg),
        starts_on=start,
        prescriber=clinic.prescriber,
        created_at=clinic.at(start, 7),
    )
    _history(clinic.patient, clinic.nurse, order, start + timedelta(days=1), dosed_until)
    return order
