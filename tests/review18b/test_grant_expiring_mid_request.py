"""Review 18b: a read made through a grant that expires during the request is audited as ordinary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.assessments import services as assessment_services
from keel.audit.models import AuditEvent
from keel.patients.models import EmergencyAccess
from keel.sharing.services import emergency_access
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_read_through_a_grant_expiring_mid_request_is_marked(
    world: Any, signed_in: Any, monkeypatch: Any
) -> None:
    """Scenario: nurse N, not on Bob's care team, breaks the glass on Bob and opens Bob's COWS form
    (`GET /patients/<bob>/instruments/cows/`) in the last second of the grant. The scoped getter lets N in
    (its `keel_off_team` True); the grant's expiry passes before the view writes its own audit row
    (`assessments.views.fill_for_patient`: `audit.record(patient_id=...)`, the patient object not passed).
    `_who` is not given the getter's answer, asks `_through_emergency` again at the write's clock, finds no
    open grant and leaves the row unmarked. (Simulated here by expiring the grant right after the getter.)

    Impact: the page showing Bob's identity and form was served under break-the-glass, yet its audit row
    reads as an on-team clinician's ordinary read; the admin's emergency view misses it (SECURITY.md T12,
    HIPAA 164.312(b)). The same for `get_assessment` and any `audit.record(patient_id=...)` with no reason.

    Safe outcome: every row of the request is marked from what the getter decided (the scoped patient's
    `keel_off_team` carried to every row), not re-asked at a later clock.
    """
    nurse = world.staff["nurse"]
    emergency_access(
        by=nurse, record_number="RR-0002", reason="found unresponsive in the lobby", password=PASSWORD
    )
    getter = assessment_services.patient_for_recording

    def then_the_grant_expires(*args: Any, **kwargs: Any) -> Any:
        patient = getter(*args, **kwargs)
        now = timezone.now()
        EmergencyAccess.objects.filter(user=nurse).update(
            started_at=now - timedelta(minutes=30), expires_at=now - timedelta(seconds=1)
        )
        return patient

    monkeypatch.setattr(assessment_services, "patient_for_recording", then_the_grant_expires)
    client = signed_in("nurse")

    response = client.get(f"/patients/{world.bob.pk}/instruments/cows/")

    assert response.status_code == 200
    row = AuditEvent.objects.filter(actor_id=nurse.pk, target_type="assessment_form").latest("id")
    assert row.reason.startswith("emergency access") or row.reason.endswith("; emergency access")
