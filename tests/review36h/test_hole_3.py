"""Review 36h hole 3: a double submit of an instrument's form (the nurse's double click on "Save", the
browser sending the POST again) files the same result twice: two PHQ-9 rows with the same answers a second
apart, two points on the trend, two audit "create" rows. The check-in has an idempotency key
(`recovery.IdempotencyKey`); the assessment form has nothing (no form token, no same-answers-moments-apart
check in `assessments.services.submit_assessment`)."""

from __future__ import annotations

from django.test import Client

from keel.assessments.models import Assessment
from tests.conftest import sign_in

PHQ9 = {f"phq9_{i}": "1" for i in range(1, 10)}


def test_a_double_submitted_phq9_is_filed_once(world: object) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])  # type: ignore[attr-defined]
    url = f"/patients/{world.alice.pk}/instruments/phq9/"  # type: ignore[attr-defined]
    first = nurse.post(url, PHQ9)
    second = nurse.post(url, PHQ9)  # the same click, sent twice
    assert first.status_code == 302
    assert second.status_code in {200, 302, 409}
    assert Assessment.objects.filter(patient=world.alice, instrument="phq9").count() == 1  # type: ignore[attr-defined]
