"""Issue #14, "Break-the-glass is accountable": every read made through emergency access is marked as such in
the audit trail (one audit helper for every patient-data read, so no app can forget)."""

import json
from typing import Any

import pytest

from tests.assessments.test_api import COWS
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_assessment_read_through_emergency_access_is_marked(world: Any, signed_in: Any) -> None:
    from keel.audit.models import AuditEvent

    nurse = signed_in("nurse")  # on alice's care team, not bob's
    bob = world.bob
    opened = nurse.post(
        "/api/v1/emergency-access",
        json.dumps(
            {
                "record_number": bob.record_number,
                "reason": "unresponsive in the lobby, overdose",
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    made = nurse.post(
        f"/api/v1/patients/{bob.pk}/assessments",
        # a point-of-care instrument: a GAD-7 is the care team's to record, not emergency access's
        json.dumps({"instrument": "cows", "answers": COWS}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assessment_id = made.json()["id"]
    read = nurse.get(f"/api/v1/patients/{bob.pk}/assessments/{assessment_id}/fhir")
    assert read.status_code == 200, read.content
    rows = AuditEvent.objects.filter(
        actor_id=world.staff["nurse"].pk, patient_id=bob.pk, action="read", target_type="assessment"
    )
    assert rows.exists()
    unmarked = [r.pk for r in rows if "emergency" not in r.reason]
    assert not unmarked, f"reads of bob's assessment through emergency access not marked: {unmarked}"
