"""A PHQ-9 QuestionnaireResponse another system (an EHR) files for Alice over the JSON API, as rev39d's tests
send it: valid in every part the test does not change, authored a week before the pinned clock."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.conftest import World, sign_in

RECORD_NUMBERS = "https://keel.invalid/fhir/record-number/riverside"


def response(value: str = "ehr-1", **changed: Any) -> dict[str, Any]:
    """Alice's PHQ-9 (every item "several days"), named by her record number, the EHR's id `value`."""
    doc: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "http://loinc.org/q/44249-1",
        "authored": (timezone.now() - timedelta(days=7)).date().isoformat(),
        "subject": {"identifier": {"system": RECORD_NUMBERS, "value": "RR-0001"}},
        "identifier": {"system": "urn:example:ehr", "value": value},
        "item": [{"linkId": f"phq9_{i}", "answer": [{"valueInteger": 1}]} for i in range(1, 10)],
    }
    doc.update(changed)
    return doc


def prescriber(world: World) -> Client:
    """The prescriber on Alice's care team, signed in; a server error is answered (500), not raised."""
    return sign_in(Client(raise_request_exception=False), world.staff["prescriber"])


def post(client: Client, world: World, doc: Any) -> Any:
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        data=json.dumps(doc),
        content_type="application/fhir+json",
    )
