"""Lane fix38g (review 38g hole 2): an evening event on the care timeline is said on the program's clock,
under the program's day, when the server's zone (KEEL_TIME_ZONE) is another."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from keel.assessments.services import submit_assessment
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.django_db
PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_last_evenings_event_shows_its_program_time_not_a_time_after_midnight(
    world: World, settings: Any
) -> None:
    settings.TIME_ZONE = "America/New_York"
    world.riverside.time_zone = "America/Los_Angeles"
    world.riverside.save(update_fields=["time_zone"])
    yesterday = timezone.now().astimezone(PACIFIC).date() - timedelta(days=1)
    submit_assessment(
        by=world.alice.user,
        patient_id=None,
        instrument="sows",
        answers={f"sows_{i}": 2 for i in range(1, 17)},
        filled_at=datetime.combine(yesterday, time(21, 40), PACIFIC),
    )
    page = sign_in(Client(), world.staff["prescriber"]).get(f"/patients/{world.alice.pk}/timeline/")
    assert ">21:40<" in page.content.decode()
