"""Hole 4: a response with no id, sent from a clock a minute ahead of Keel's (inside
KEEL_FHIR_CLOCK_LEEWAY_SECONDS), is filed at Keel's time; the engine's retry a few minutes later is looked
up at the time as sent (`_filed_before` calls `_filled_at`, which now no longer clamps), does not find the
first filing, and files the PHQ-9 a second time (review 34b)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tests.review34b._setup import filed, post_qr, qr

pytestmark = pytest.mark.django_db


def test_a_retry_of_a_response_from_a_fast_clock_is_not_filed_twice(world: Any, signed_in: Any) -> None:
    client = signed_in("nurse")
    ahead = (timezone.now() + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = qr(world, rid=None, source=None, authored=ahead)
    assert post_qr(client, world, sent).status_code == 201
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        again = post_qr(client, world, sent)
    assert again.status_code == 200
    assert filed(world) == 1
