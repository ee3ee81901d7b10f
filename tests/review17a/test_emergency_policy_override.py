"""Review 17a: break-the-glass access must not change one person's dosing limits."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_cannot_override_a_persons_dose_limit(world: Any) -> None:
    """Scenario: a Riverside prescriber not on Bob's care team breaks the glass on his record, then raises
    his buprenorphine day-1 maximum (`treatment.services.policy.override_for_patient`, whose getter passes
    emergency_access=True). A standing change of one person's limits is a care-team decision that outlives
    the emergency (the grant ends in hours, the override does not), not a read in an emergency. Safe
    outcome: refused, no PatientPolicyOverride row written."""
    from keel.sharing.services import emergency_access
    from keel.treatment.models import PatientPolicyOverride
    from keel.treatment.services.policy import override_for_patient

    prescriber = world.staff["prescriber"]
    bob = world.bob
    emergency_access(
        by=prescriber,
        record_number=bob.record_number,
        reason="found unresponsive in the lobby",
        password=PASSWORD,
    )
    before = PatientPolicyOverride.objects.filter(patient=bob).count()
    refused = False
    try:
        override_for_patient(
            by=prescriber,
            patient_id=bob.pk,
            rule="buprenorphine-dose-limit",
            field="day1_max_mg",
            value=12,
            reason="tolerates higher first-day dose per outside records from his prior clinic",
        )
    except Exception as exc:
        refused = "invalid" not in type(exc).__name__.lower()
        if not refused:
            raise
    assert refused
    assert PatientPolicyOverride.objects.filter(patient=bob).count() == before
