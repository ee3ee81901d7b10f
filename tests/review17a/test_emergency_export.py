"""Review 17a: break-the-glass access is for reading a record in an emergency, not for sending it out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_cannot_export_the_whole_record(world: Any) -> None:
    """Scenario: a Riverside nurse who is not on Bob's care team breaks the glass on Bob's record (a
    reason, her password) and then asks for a staff export of his whole record (the FHIR Bundle) "on the
    patient's own request". `release_record` asks the patient getter with emergency_access=True, so the
    export goes out and a Disclosure is written, although its own docstring says only clinicians *on the
    team* release a record. Safe outcome: refused (an error raised), no Disclosure row written."""
    from keel.sharing.models import Disclosure
    from keel.sharing.services import emergency_access
    from keel.sharing.services.releases import release_record

    nurse = world.staff["nurse"]
    bob = world.bob
    emergency_access(
        by=nurse, record_number=bob.record_number, reason="found unresponsive in the lobby", password=PASSWORD
    )
    before = Disclosure.objects.filter(patient=bob).count()
    with pytest.raises(Exception):
        release_record(
            by=nurse,
            patient_id=bob.pk,
            raw={"basis": "patient_request", "password": PASSWORD},
            target_type="record_export",
            description="whole record",
            build=lambda patient, now: {"resourceType": "Bundle"},
        )
    assert Disclosure.objects.filter(patient=bob).count() == before
