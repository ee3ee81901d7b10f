"""Review 32b H1: a bound token's whole-record release (`$everything` under a consent naming its recipient)
carries every Consent resource of the person, including her consents to OTHER recipients: their names,
purposes and categories leave to a system none of those consents names (42 CFR 2.13(a), 2.31(a)(3))."""

from __future__ import annotations

import json

from django.test import Client

from keel.accounts import services as accounts
from tests.conftest import PASSWORD, World
from tests.review32b._setup import consent_for_alice


def _everything(client: Client, world: World, secret: str, consent_id: int) -> dict:
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueString": str(consent_id)},
            {"name": "recipient_name", "valueString": "Acme Treatment Clinic"},
            {"name": "purpose", "valueCode": "treatment"},
        ],
    }
    response = client.post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count=200",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content[:400]
    return response.json()


def test_whole_record_release_carries_no_consent_to_another_recipient(world: World) -> None:
    mine = consent_for_alice(world, "Acme Treatment Clinic", ["record"])
    consent_for_alice(world, "Harbor Family Court Probation", ["medication"])
    secret = accounts.create_token(user=world.staff["counselor"], recipient_name="Acme Treatment Clinic").secret
    bundle = _everything(Client(), world, secret, mine.pk)
    text = json.dumps(bundle)
    assert "Acme Treatment Clinic" in text  # its own consent may travel with the record
    consents = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent"]
    assert len(consents) == 1, "another recipient's consent left with the record"
    assert "Harbor Family Court" not in text


def test_consent_search_under_one_consent_finds_no_consent_to_another_recipient(world: World) -> None:
    mine = consent_for_alice(world, "Acme Treatment Clinic", ["record"])
    consent_for_alice(world, "Harbor Family Court Probation", ["medication"])
    secret = accounts.create_token(user=world.staff["counselor"], recipient_name="Acme Treatment Clinic").secret
    response = Client().get(
        f"/fhir/R4/Consent?patient={world.alice.pk}",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_KEEL_CONSENT=str(mine.pk),
    )
    assert response.status_code == 200, response.content[:400]
    assert "Harbor Family Court" not in response.content.decode()


def test_json_export_under_one_consent_carries_no_consent_to_another_recipient(world: World) -> None:
    mine = consent_for_alice(world, "Acme Treatment Clinic", ["record"])
    consent_for_alice(world, "Harbor Family Court Probation", ["medication"])
    secret = accounts.create_token(user=world.staff["counselor"], recipient_name="Acme Treatment Clinic").secret
    body = {
        "basis": "consent",
        "consent": mine.pk,
        "recipient_name": "Acme Treatment Clinic",
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
    assert "Harbor Family Court" not in response.content.decode()
