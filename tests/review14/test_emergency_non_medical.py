"""Issue #14, "Medical emergencies (§2.51) only": a court, an employer or any non-medical recipient is
refused. The check was a word list: a courthouse, a detention centre or a workplace passed it."""

import json
from typing import Any

import pytest

from tests.conftest import PASSWORD

NOT_MEDICAL = [
    "Hall County Courthouse",
    "Hall County Detention Center",
    "Department of Homeland Security",
    "Amazon Fulfillment Center (my workplace)",
    "Department of Children and Family Services",
]


@pytest.mark.django_db
@pytest.mark.parametrize("facility", NOT_MEDICAL)
def test_emergency_disclosure_to_non_medical_facility_is_refused(
    world: Any, signed_in: Any, facility: str
) -> None:
    from keel.sharing.models import Disclosure

    nurse = signed_in("nurse")
    response = nurse.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        json.dumps(
            {
                "basis": "emergency",
                "recipient_name": "Pat Jones",
                "recipient_role": "nurse",
                "recipient_affiliation": facility,
                "nature": "collapsed and unresponsive, suspected overdose",
                "categories": ["medication"],
                "password": PASSWORD,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code in (403, 422), (
        f"emergency disclosure to {facility!r} accepted: {response.status_code}"
    )
    assert not Disclosure.objects.filter(patient=world.alice).exists()
