"""Hole 9: a response the sender stamped 30 seconds ahead of Keel's clock is refused as "in the future".

Two systems' clocks are never equal: an EHR posting a response the moment it is completed, with a clock half
a minute fast, gets 422 `authored` "cannot be in the future" (`fhir_import._parse_authored`: `at > now`, no
leeway for the other system's clock). The engine dead-letters a true screening, or it is re-keyed by hand.
"""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tests.conftest import World, sign_in
from tests.review33d._setup import post_qr, qr


def test_a_response_from_a_clock_half_a_minute_fast_is_filed(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    ahead = (timezone.now() + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = post_qr(nurse, world, qr(world, authored=ahead))
    assert sent.status_code == 201
