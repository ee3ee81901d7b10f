"""Hole 2: an amended QuestionnaireResponse (same sender id, same `authored`, other answers) is filed as a
second PHQ-9 beside the first; both stand, in the record and in FHIR, as two screenings.

`services.import_response` keeps the sender's id (`ImportedResponse.sender_id`) but never looks it up: a
response the sender corrected is neither refused (409) nor does it replace the one it amends.
"""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_an_amended_response_does_not_stand_beside_the_one_it_amends(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    authored = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    post_qr(nurse, world, qr(world, authored=authored))
    post_qr(nurse, world, qr(world, authored=authored, answers=[2] * 8 + [0], status="amended"))
    found = nurse.get(f"/fhir/R4/QuestionnaireResponse?patient={world.alice.pk}").json()
    standing = [
        e["resource"] for e in found.get("entry", []) if e["resource"].get("status") != "entered-in-error"
    ]
    assert len(standing) == 1
