"""Hole 1: the same amended QuestionnaireResponse sent twice is filed twice (a retry is not idempotent).

The EHR sends its PHQ-9 response `qr-1`, then the amended one (same id, same `authored`, other answers), then
retries that amended one after a timeout. `services.import_response` looks only at the FIRST assessment at
that instant (`order_by("id").first()`): its answers differ from the resend's, so each resend of the amendment
files one more assessment.
"""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from keel.assessments.models import Assessment
from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr

AMENDED = [2, 2, 2, 2, 2, 2, 2, 2, 0]


def test_a_resend_of_the_amended_response_files_nothing_new(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    authored = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    post_qr(nurse, world, qr(world, authored=authored))
    post_qr(nurse, world, qr(world, authored=authored, answers=AMENDED, status="amended"))
    after_once = Assessment.objects.filter(patient=world.alice, instrument="phq9").count()
    post_qr(nurse, world, qr(world, authored=authored, answers=AMENDED, status="amended"))
    after_twice = Assessment.objects.filter(patient=world.alice, instrument="phq9").count()
    assert after_twice == after_once
