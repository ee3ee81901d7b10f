"""Review 31c set-up: API tokens of the counselor (bound to a recipient, or to none) and a disclosure of
Alice's enrollment section by the nurse's session (rows and requests: the history, not the behaviour under
test)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from keel.accounts import services as accounts
from tests.conftest import PASSWORD, World


def counselor_token(world: World, recipient: str) -> str:
    """The secret of an API token of the counselor, bound to `recipient` ("" for none)."""
    issued = accounts.create_token(user=world.staff["counselor"], name="system", recipient_name=recipient)
    return issued.secret


def fhir_get(path: str, secret: str, consent: str) -> Any:
    """A FHIR GET with the token and `Keel-Consent: consent`."""
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_KEEL_CONSENT=consent)


def disclose_enrollment(client: Client, world: World, consent_id: int, recipient: str) -> Any:
    """The session discloses Alice's enrollment section to `recipient` for treatment under the consent."""
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/disclosures",
        {
            "basis": "consent",
            "consent": consent_id,
            "categories": ["enrollment"],
            "recipient_name": recipient,
            "purpose": "treatment",
            "purpose_text": "",
            "password": PASSWORD,
        },
        content_type="application/json",
    )
