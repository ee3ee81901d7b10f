"""Review 33b set-up (a copy of review 32c's): a consent signed for Alice by someone (rows: the history,
not the behaviour under test), and her death recorded through the API as a clinician records it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from keel.patients.models import local_today
from keel.sharing.models import Consent
from tests.conftest import World


def consent_for_alice(world: World, recipient: str, categories: list[str], **signer: str) -> Consent:
    """A consent for Alice to `recipient` for treatment, signed a week ago, ending in a year; `signer`: a
    representative's name, relationship and authority (empty: Alice signed)."""
    alice = world.alice
    return Consent.objects.create(
        patient=alice,
        program=world.riverside,
        recipient_name=recipient,
        purpose="treatment",
        purpose_text="",
        categories=categories,
        expires_on=local_today(alice) + timedelta(days=365),
        signature=signer.get("representative_name") or "Alicia Zamorano",
        form_version="2024-1",
        statements=["statement"],
        signed_by=world.staff["counselor"],
        signed_at=timezone.now() - timedelta(days=7),
        **signer,
    )


def record_death(client: Client, world: World) -> Any:
    """The nurse's session records Alice's death today (the discharge's reason `deceased`)."""
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        {"reason": "deceased", "ended_on": local_today(world.alice).isoformat()},
        content_type="application/json",
    )


def acme_token(world: World) -> str:
    """The counselor's API token bound to "Acme Health" (the receiving clinic's system)."""
    from keel.accounts.services.tokens import create_token

    return create_token(user=world.staff["counselor"], recipient_name="Acme Health").secret


def everything_basis(consent: Consent) -> dict[str, Any]:
    """`$everything`'s FHIR Parameters body naming `consent` as the basis."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueString": str(consent.pk)},
            {"name": "recipient_name", "valueString": consent.recipient_name},
            {"name": "purpose", "valueCode": consent.purpose},
        ],
    }


COURT = "https://monitoring.county-drug-court.example.gov/fhir"


def court_phq9(world: World, client: Client, days_ago: int = 3) -> Any:
    """A PHQ-9 of Alice's sent by the county drug court's monitoring system (its `meta.source`, its case
    manager as author), filed by the counselor's session through the import API."""
    from keel.core.instruments import registry

    items = [
        {
            "linkId": item.link_id,
            "answer": [{"valueCoding": {"system": "http://loinc.org", "code": item.options[1].code}}],
        }
        for item in registry.get("phq9").items
    ]
    doc = {
        "resourceType": "QuestionnaireResponse",
        "id": "DC-QR-77",
        "meta": {"source": COURT},
        "status": "completed",
        "questionnaire": "http://loinc.org/q/44249-1",
        "subject": {"reference": f"http://testserver/fhir/R4/Patient/{world.alice.pk}"},
        "author": {"display": "County Drug Court case manager"},
        "authored": (timezone.now() - timedelta(days=days_ago)).isoformat(timespec="seconds"),
        "item": items,
    }
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        json.dumps(doc),
        content_type="application/fhir+json",
    )
