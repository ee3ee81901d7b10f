"""What re39f's tests send: the realistic LOINC PHQ-9 panel another system files for Alice over the JSON API
(tests/interop/test_import.py's document, valid R4), at that file's pinned moment."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.test import Client

from keel.assessments.models import Assessment
from tests.conftest import World, sign_in
from tests.interop.test_import import alice_patient, other_system_phq9

NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
ITEM_9 = 8  # the index of item 9 (44260-8, thoughts of self-harm) in the panel's group


def post(world: World, body: str | dict[str, Any]) -> Any:
    client = sign_in(Client(), world.staff["counselor"])
    text = body if isinstance(body, str) else json.dumps(body)
    path = f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses"
    return client.post(path, text, content_type="application/fhir+json")


def nothing_filed(world: World) -> bool:
    return not Assessment.objects.filter(patient=world.alice, instrument="phq9").exists()


__all__ = ["ITEM_9", "NOW", "alice_patient", "nothing_filed", "other_system_phq9", "post"]
