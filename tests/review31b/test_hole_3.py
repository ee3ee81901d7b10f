"""Hole 3: a token bound to one recipient learns that a person consented to share with someone else, and
which consent id it is, from the answer to a disclosure naming that consent (HOLES.md): another recipient's
consent of hers is a 403 "this consent names another", an id of no consent of hers the 422 "no such consent
for this patient". The person never consented to the County Hospital knowing of her consent to a drug court.
"""

from __future__ import annotations

from django.test import Client

from keel.accounts.services import create_token
from keel.sharing.models import Consent
from tests.conftest import PASSWORD, World
from tests.review31b._setup import consent_for_alice


def _disclosure(consent_id: int) -> dict[str, object]:
    return {
        "basis": "consent",
        "consent": consent_id,
        "categories": ["medication"],
        "recipient_name": "County Hospital",
        "purpose": "treatment",
        "password": PASSWORD,
    }


def test_another_recipients_consent_is_answered_as_no_consent(world: World) -> None:
    court = consent_for_alice(world, "Riverside Drug Court", ["medication", "checkins"])
    nobody = Consent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    secret = create_token(user=world.staff["nurse"], recipient_name="County Hospital").secret
    system = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = f"/api/v1/patients/{world.alice.pk}/disclosures"
    answers = {
        system.post(url, _disclosure(pk), content_type="application/json").status_code
        for pk in (court.pk, nobody + 1000)
    }
    assert len(answers) == 1
