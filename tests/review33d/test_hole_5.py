"""Hole 5: a PHQ-9 from another system answered before the person was born is filed (201).

`fhir_import._parse_authored` refuses only a future `authored`; the day before Alice's birth date is taken
and scored into her record (a mistyped year, or another person's response).
"""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_a_response_answered_before_the_birth_date_is_refused(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    before = (world.alice.date_of_birth - timedelta(days=1)).isoformat()
    sent = post_qr(nurse, world, qr(world, authored=before))
    assert sent.status_code == 422
