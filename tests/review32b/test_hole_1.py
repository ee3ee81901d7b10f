"""Review 32b H1: a bound token's whole-record release (`$everything` under a consent naming its recipient)
carries every Consent resource of the person, including her consents to OTHER recipients: their names,
purposes and categories leave to a system none of those consents names (42 CFR 2.13(a), 2.31(a)(3)). The
FHIR Consent search under that consent and the JSON API's export by the same token carry them too."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from keel.accounts import services as accounts
from keel.sharing.models import Consent
from tests.conftest import PASSWORD, World
from tests.review32b._setup import consent_for_alice

ACME = "Acme Treatment Clinic"
OTHER = "Harbor Family Court Probation"


def _two_consents(world: World) -> tuple[Consent, str]:
    """Alice's whole-record consent to Acme, her medication consent to a probation program, and a
    counselor's token bound to Acme (its secret)."""
    mine = consent_for_alice(world, ACME, ["record"])
    consent_for_alice(world, OTHER, ["medication"])
    return mine, accounts.create_token(user=world.staff["counselor"], recipient_name=ACME).secret


def _everything(world: World, secret: str, consent_id: int) -> Any:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueString": str(consent_id)},
            {"name": "recipient_name", "valueString": ACME},
            {"name": "purpose", "valueCode": "treatment"},
        ],
    }
    response = Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count=200",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content[:400]
    return response.json()


def test_whole_record_release_carries_no_consent_to_another_recipient(world: World) -> None:
    mine, secret = _two_consents(world)
    bundle = _everything(world, secret, mine.pk)
    text = json.dumps(bundle)
    assert ACME in text  # its own consent may travel with the record
    consents = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent"]
    assert len(consents) == 1, "another recipient's consent left with the record"
    assert OTHER not in text


def test_consent_search_under_one_consent_finds_no_consent_to_another_recipient(world: World) -> None:
    mine, secret = _two_consents(world)
    response = Client().get(
        f"/fhir/R4/Consent?patient={world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(mine.pk),
    )
    assert response.status_code == 200, response.content[:400]
    assert OTHER not in response.content.decode()


def test_json_export_under_one_consent_carries_no_consent_to_another_recipient(world: World) -> None:
    mine, secret = _two_consents(world)
    body = {
        "basis": "consent",
        "consent": mine.pk,
        "recipient_name": ACME,
        "purpose": "treatment",
        "password": PASSWORD,
    }
    response = Client().post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content[:400]
    assert OTHER not in response.content.decode()
