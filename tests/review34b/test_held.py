"""Review 34b: what held (kept so the next reviewer need not try it again)."""

from __future__ import annotations

from typing import Any

import pytest

from keel.assessments.models import Assessment
from keel.assessments.services import correct_assessment
from tests.review34b._setup import filed, post_qr, qr

pytestmark = pytest.mark.django_db


def test_the_same_id_from_another_system_is_another_response(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    assert post_qr(client, world, qr(world, source="https://court.example.org/fhir")).status_code == 201
    other = qr(world, source="https://hospital.example.org/fhir", answers=[2, 2, 2, 2, 2, 2, 2, 2, 0])
    assert post_qr(client, world, other).status_code == 201
    assert filed(world) == 2


@pytest.mark.parametrize("struck", [False, True])
def test_a_resend_after_the_clinic_corrected_it_answers_the_first_filing(
    world: Any, signed_in: Any, struck: bool
) -> None:
    client = signed_in("nurse")
    sent = qr(world)
    assert post_qr(client, world, sent).status_code == 201
    first = Assessment.objects.get(patient=world.alice)
    correct_assessment(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        assessment_id=first.pk,
        entered_in_error=struck,
        answers=None if struck else {f"phq9_{n}": 2 for n in range(1, 10)},
        reason="She told me the answers on the phone were misheard.",
    )
    again = post_qr(client, world, sent)
    assert again.status_code == 200
    assert filed(world) == 1
