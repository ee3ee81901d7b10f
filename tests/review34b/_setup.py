"""Review 34b set-up: a PHQ-9 QuestionnaireResponse as a drug court's or a hospital's system sends it, and its
POST to Keel's import route by a signed-in nurse of Alice's care team (review 33d's shape)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import World

COURT = "https://court.example.org/fhir"


# The lead (session 34): "an hour ago" is read once per world, so a resend built a second later carries
# the same `authored` (lane fix34b: flaky on a loaded machine, a new second read as an amendment).
_HOUR_AGO: dict[int, str] = {}


def _an_hour_ago(world: World) -> str:
    """An hour before the first call for this world, in UTC (`Z`), the same for every later call."""
    return _HOUR_AGO.setdefault(
        id(world), (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def qr(
    world: World,
    *,
    answers: list[int] | None = None,
    authored: str | None = None,
    rid: str | None = "qr-1",
    source: str | None = COURT,
    identifier: dict[str, Any] | None = None,
    status: str = "completed",
) -> dict[str, Any]:
    """A PHQ-9 response naming Alice by her Riverside record number, authored an hour ago (UTC, `Z`)."""
    scores = answers if answers is not None else [1, 1, 1, 1, 1, 1, 1, 1, 0]
    when = authored or _an_hour_ago(world)
    doc: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": status,
        "subject": {
            "identifier": {
                "system": f"https://keel.invalid/fhir/record-number/{world.riverside.slug}",
                "value": world.alice.record_number,
            }
        },
        "authored": when,
        "item": [{"linkId": f"phq9_{n + 1}", "answer": [{"valueInteger": v}]} for n, v in enumerate(scores)],
    }
    if rid is not None:
        doc["id"] = rid
    if source is not None:
        doc["meta"] = {"source": source}
    if identifier is not None:
        doc["identifier"] = identifier
    return doc


def post_qr(client: Client, world: World, doc: Any) -> Any:
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        json.dumps(doc),
        content_type="application/fhir+json",
    )


def filed(world: World) -> int:
    from keel.assessments.models import Assessment

    return Assessment.objects.filter(patient=world.alice, instrument="phq9").count()


def consent_to_acme(world: World) -> Any:
    """Alice's whole-record consent to "Acme Health" for treatment, signed a week ago, ending in a year."""
    from keel.patients.models import local_today
    from keel.sharing.models import Consent

    return Consent.objects.create(
        patient=world.alice,
        program=world.riverside,
        recipient_name="Acme Health",
        purpose="treatment",
        purpose_text="",
        categories=["record"],
        expires_on=local_today(world.alice) + timedelta(days=365),
        signature="Alicia Zamorano",
        form_version="2024-1",
        statements=["statement"],
        signed_by=world.staff["counselor"],
        signed_at=timezone.now() - timedelta(days=7),
    )


def acme_token(world: World) -> str:
    """The counselor's API token bound to "Acme Health" (the receiving clinic's system)."""
    from keel.accounts.services.tokens import create_token

    return str(create_token(user=world.staff["counselor"], recipient_name="Acme Health").secret)
