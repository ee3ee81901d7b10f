"""Review 32c H1: a release to one recipient carries the Provenance of a questionnaire another party sent,
naming that party (a drug court's system) and its own identifier for the person (a case number): a fact of
another recipient of her record, told to a party no consent to them names (the reasoning of review 32b H1,
`sharing.carried`, applied to what is not a Consent)."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from keel.accounts import services as accounts
from keel.assessments.services import submit_assessment
from keel.interop.models import ImportedResponse
from tests.conftest import PASSWORD, World
from tests.review32c._setup import consent_for_alice

COURT = "County Drug Court"
CASE = "DC-CASE-4471"


def _sent_by_the_court(world: World) -> None:
    """A PHQ-9 the court's monitoring system sent and the nurse filed (rows: the history)."""
    nurse = world.staff["nurse"]
    filled = timezone.now() - timedelta(days=3)
    answers = {f"phq9_{i}": 1 for i in range(1, 10)}
    assessment, _ = submit_assessment(
        by=nurse, patient_id=world.alice.pk, instrument="phq9", answers=answers, filled_at=filled
    )
    ImportedResponse.objects.create(
        assessment=assessment,
        sender_system=f"https://monitoring.example/{COURT}",
        sender_id="qr-1",
        subject={"reference": f"Patient/{CASE}", "display": "Alicia Zamorano"},
        author={"display": f"{COURT} case manager"},
        authored=filled.isoformat(),
        matched_by="name and birth date",
        received_by=nurse,
        received_at=filled,
    )


def test_a_release_to_acme_never_names_the_drug_court(world: World, client: Client) -> None:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    _sent_by_the_court(world)
    secret = accounts.create_token(user=world.staff["nurse"], recipient_name="Acme Health").secret
    basis = [
        {"name": "basis", "valueCode": "consent"},
        {"name": "consent", "valueString": str(acme.pk)},
        {"name": "recipient_name", "valueString": "Acme Health"},
        {"name": "purpose", "valueCode": "treatment"},
    ]
    response = client.post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything",
        json.dumps({"resourceType": "Parameters", "parameter": basis}),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert COURT not in text, "the release to Acme names the drug court that sent a questionnaire"
    assert CASE not in text, "the release to Acme carries the drug court's case number for her"


def test_the_json_export_to_acme_never_names_the_drug_court(world: World, client: Client) -> None:
    acme = consent_for_alice(world, "Acme Health", ["record"])
    _sent_by_the_court(world)
    secret = accounts.create_token(user=world.staff["nurse"], recipient_name="Acme Health").secret
    body = {
        "basis": "consent",
        "consent": acme.pk,
        "recipient_name": "Acme Health",
        "purpose": "treatment",
        "password": PASSWORD,
    }
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert COURT not in text, "the JSON API's export to Acme names the drug court that sent a questionnaire"
    assert CASE not in text, "the JSON API's export to Acme carries the drug court's case number for her"
