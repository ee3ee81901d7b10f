"""Review 17b: break-the-glass lets an off-team prescriber supersede the care team's methadone order."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from keel.assessments.services import NotAllowed
from keel.sharing.services import emergency_access
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.services.orders import prescribe
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_does_not_raise_the_care_teams_methadone_order(world: Any) -> None:
    """Scenario: Bob's prescriber (the care team's) has him on methadone 80 mg daily. Prescriber P of
    Riverside, not on Bob's care team, breaks the glass ("patient in withdrawal at the window") and,
    through that emergency access, writes a new methadone order of 110 mg: `prescribe` reaches the record
    through `_scoped_for` (`emergency_access=True`); the care team's 80 mg order is superseded and the
    dosing window doses 110 mg from today. (With an `override_reason`, the same path goes above the
    program's dose check: the per-person override P may no longer make through the glass, by another door.)

    Impact: methadone accumulates over days (long half-life); a dose increase made by someone who does
    not know the patient (QTc, benzodiazepines, recent missed doses, tolerance) is the classic OTP
    overdose-death scenario. No emergency needs a *higher* standing order: withdrawal at the window is met
    by the care team's order (or a hold / a supplemental dose decided by the care team), and a covering
    prescriber who takes over care is added to the care team, not left on a four-hour glass.

    Safe outcome: prescribing through emergency access is refused (NotAllowed, audited), at least any
    order that raises the dose; the care team's 80 mg order stays active.
    """
    prescriber = world.staff["prescriber"]
    team_prescriber = world.staff["program_admin"]  # who wrote the existing order does not matter here
    now = timezone.now()
    current = MedicationOrder.objects.create(
        patient=world.bob,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal("80"),
        starts_on=date(2026, 1, 5),
        prescriber=team_prescriber,
        created_at=now - timedelta(days=30),
    )
    emergency_access(
        by=prescriber,
        record_number="RR-0002",
        reason="patient in withdrawal at the window",
        password=PASSWORD,
    )

    with pytest.raises(NotAllowed):
        prescribe(by=prescriber, patient_id=world.bob.pk, medication="methadone", dose_mg="110")

    current.refresh_from_db()
    assert current.status == OrderStatus.ACTIVE
