"""Review 33d set-up: a PHQ-9 QuestionnaireResponse as another system (an EHR) sends it, and its POST to
Keel's import route by a signed-in nurse of Alice's care team."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import World

EHR = "https://ehr.example.org/fhir"


def qr(
    world: World,
    *,
    answers: list[int] | None = None,
    authored: str | None = None,
    rid: str = "qr-1",
    status: str = "completed",
    subject: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A PHQ-9 response naming Alice by her Riverside record number, authored an hour ago (UTC, `Z`)."""
    scores = answers if answers is not None else [1, 1, 1, 1, 1, 1, 1, 1, 0]
    when = authored or (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "meta": {"source": EHR},
        "status": status,
        "subject": subject
        or {
            "identifier": {
                "system": f"https://keel.invalid/fhir/record-number/{world.riverside.slug}",
                "value": world.alice.record_number,
            }
        },
        "authored": when,
        "item": [{"linkId": f"phq9_{n + 1}", "answer": [{"valueInteger": v}]} for n, v in enumerate(scores)],
    }


def post_qr(client: Client, world: World, doc: Any, **extra: Any) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc)
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        body,
        content_type=extra.pop("content_type", "application/fhir+json"),
        **extra,
    )


def hour_ago() -> datetime:
    return timezone.now() - timedelta(hours=1)
