"""Review 17b: break-the-glass lets an off-team clinician make a routine disclosure under a consent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.sharing.models import Disclosure
from keel.sharing.services import sign_consent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_emergency_access_does_not_disclose_under_a_consent(world: Any, signed_in: Any) -> None:
    """Scenario: Bob signed a consent letting Riverside send his medication and check-ins to "Metro Drug
    Court" (purpose court_program). Nurse N of Riverside is not on Bob's care team. N breaks the glass
    ("possible overdose, need current dose") and, through that emergency access, posts a disclosure with
    basis "consent" to the drug court: the getter in `disclose` passes `emergency_access=True` for both
    bases.

    Impact: 42 CFR 2.51 lets a program disclose without consent to medical personnel for a bona fide medical
    emergency; that is the only disclosure an emergency justifies. A consented release to a court or an
    employer is a routine act of the care team (the minimum-necessary judgment, the timing, the patient's
    expectations); break-the-glass turns into a back door to send Part 2 records to a court, under cover of
    an "emergency".

    Safe outcome: a disclosure under a consent through emergency access is refused (403) and nothing is
    disclosed; the emergency basis (2.51, to treating medical personnel) stays allowed.
    """
    bob = world.bob
    consent = sign_consent(
        by=bob.user,
        raw={
            "recipient_name": "Metro Drug Court",
            "purpose": "court_program",
            "purpose_text": "",
            "categories": ["medication", "checkins"],
            "expires_on": (timezone.localdate() + timedelta(days=180)).isoformat(),
            "signature": "Roberto Quintanilla",
            "understood": True,
        },
    )
    nurse = signed_in("nurse")
    opened = nurse.post(
        "/api/v1/emergency-access",
        {"record_number": "RR-0002", "reason": "possible overdose, need current dose", "password": PASSWORD},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content

    response = nurse.post(
        f"/api/v1/patients/{bob.pk}/disclosures",
        {
            "basis": "consent",
            "consent": consent.pk,
            "categories": ["medication", "checkins"],
            "recipient_name": "Metro Drug Court",
            "purpose": "court_program",
            "purpose_text": "",
            "password": PASSWORD,
        },
        content_type="application/json",
    )

    assert response.status_code == 403, response.content
    assert not Disclosure.objects.filter(patient=bob).exists()
