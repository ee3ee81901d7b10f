"""Review 17b: break-the-glass lets an off-team clinician void or rewrite doses the care team gave."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from keel.assessments.services import NotAllowed
from keel.sharing.services import emergency_access
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_does_not_void_the_care_teams_doses(world: Any) -> None:
    """Scenario: Bob's methadone dose of 80 mg was given yesterday by his program's dosing nurse (recorded as
    given). Nurse N of Riverside, not on Bob's care team, breaks the glass ("patient drowsy, checking last
    dose") and, through that emergency access, voids yesterday's dose with a reason: `amend_dose` reaches the
    record through `_scoped_for` (`emergency_access=True`).

    Impact: in an emergency the clinician needs to *read* what was given and *record* what they give now;
    correcting or voiding doses someone else recorded on an earlier day is never part of it. A voided
    dose disappears from the dosing history the care team and the next responder rely on (the last dose
    taken, the missed-dose count, the liquid-methadone stock reconciliation), so break-the-glass becomes a
    way to rewrite the dispensing record, e.g. to cover a diversion.

    Safe outcome: amending a dose through emergency access is refused (NotAllowed, audited by the getter);
    the dose stays as recorded. (Recording a dose given now stays allowed.)
    """
    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    now = timezone.now()
    yesterday = timezone.localdate() - timedelta(days=1)
    order = MedicationOrder.objects.create(
        patient=world.bob,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal("80"),
        starts_on=date(2026, 1, 5),
        prescriber=prescriber,
        created_at=now - timedelta(days=30),
    )
    dose = DoseRecord.objects.create(
        patient=world.bob,
        order=order,
        medication="methadone",
        local_date=yesterday,
        sequence=1,
        status="given",
        amount_mg=Decimal("80"),
        treatment_day=30,
        decision={},
        recorded_by=prescriber,
        recorded_at=now - timedelta(days=1),
        given_at=now - timedelta(days=1),
    )
    emergency_access(
        by=nurse, record_number="RR-0002", reason="patient drowsy, checking last dose", password=PASSWORD
    )

    with pytest.raises(NotAllowed):
        amend_dose(by=nurse, patient_id=world.bob.pk, dose_id=dose.pk, void=True, reason="entered in error")

    assert not DoseAmendment.objects.filter(dose=dose).exists()
