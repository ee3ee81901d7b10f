"""Review 36g set-up: a hospital's system reading Alice's record with the counselor's API token bound to
"Acme Health", under her whole-record consent (review 34b's shapes), and a consent of hers naming only some
sections."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import World


def consent(world: World, categories: list[str], recipient: str = "Acme Health") -> Any:
    """Alice's consent to `recipient` for treatment, of `categories`, signed a week ago, ending in a year."""
    from keel.patients.models import local_today
    from keel.sharing.models import Consent

    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name=recipient,
        purpose="treatment",
        purpose_text="",
        categories=categories,
        expires_on=local_today(world.alice) + timedelta(days=365),
        signature="Alicia Zamorano",
        form_version="2024-1",
        statements=["statement"],
        signed_by=world.staff["counselor"],
        signed_at=timezone.now() - timedelta(days=7),
    )


def token(world: World, recipient: str = "Acme Health", role: str = "counselor") -> str:
    """The secret of an API token of `role` (Riverside) bound to `recipient`."""
    from keel.accounts.services.tokens import create_token

    user = world.lakeside_nurse if role == "lakeside_nurse" else world.staff[role]
    return str(create_token(user=user, recipient_name=recipient).secret)


def fhir(path: str, secret: str, consent_id: object | None = None, **params: Any) -> Any:
    """A FHIR GET by the system, with `Keel-Consent` when given."""
    headers: dict[str, str] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if consent_id is not None:
        headers["HTTP_KEEL_CONSENT"] = str(consent_id)
    return Client().get(path, params, **headers)


def everything(world: World, secret: str, consent_id: object, count: int = 1) -> Any:
    """`Patient/{alice}/$everything` POSTed with the consent basis, `count` resources a page."""
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "basis", "valueCode": "consent"},
            {"name": "consent", "valueString": str(consent_id)},
            {"name": "recipient_name", "valueString": "Acme Health"},
            {"name": "purpose", "valueCode": "treatment"},
        ],
    }
    return Client().post(
        f"/fhir/R4/Patient/{world.alice.pk}/$everything?_count={count}",
        json.dumps(body),
        content_type="application/fhir+json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
