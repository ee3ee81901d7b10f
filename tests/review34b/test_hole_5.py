"""Hole 5: "once per sender id" is held across the whole deployment, not per program. A county drug court
sends the same PHQ-9 response (its id, its system) to the two programs treating the same woman (each a
program on one Keel). The second program's nurse is answered 409 "This response was already filed", nothing
is filed in her record there, and the answer tells that program her screening is on file in another Part 2
program (`interop.services._filed_before`: `a.patient_id != patient.pk` is "not the same"; the unique
constraint `imported_response_once_per_sender_id` has no program in it) (review 34b)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.assessments.models import Assessment
from keel.patients.models import CareTeamMember
from tests.conftest import _make_patient, sign_in
from tests.review34b._setup import post_qr, qr

pytestmark = pytest.mark.django_db


def _by_name_and_birth(doc: dict[str, Any]) -> dict[str, Any]:
    """The court names her as its own system knows her: a contained Patient with her name and birth date."""
    return {
        **doc,
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "name": [{"family": "Zamorano", "given": ["Alicia"]}],
                "birthDate": "1990-05-17",
            }
        ],
        "subject": {"reference": "#p"},
    }


def test_the_same_court_response_is_filed_in_her_record_at_the_second_program(
    world: Any, signed_in: Any
) -> None:
    sent = _by_name_and_birth(qr(world))
    assert post_qr(signed_in("nurse"), world, sent).status_code == 201
    there = _make_patient(world.lakeside, "LH-0002", "Alicia", "Zamorano", "alicia-lakeside")
    CareTeamMember.objects.create(patient=there, user=world.lakeside_nurse)
    lakeside = sign_in(Client(), world.lakeside_nurse)
    answer = lakeside.post(
        f"/api/v1/patients/{there.pk}/fhir/questionnaire-responses",
        json.dumps(sent),
        content_type="application/fhir+json",
    )
    assert answer.status_code == 201
    assert Assessment.objects.filter(patient=there, instrument="phq9").count() == 1
    assert "already filed" not in answer.content.decode()
