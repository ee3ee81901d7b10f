"""Lane fix27b (review 27b H7): the accounting of disclosures says each day and time on the program's wall
clock (42 CFR 2.24: the date of each disclosure), on the patient's page and on the care team's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from tests.conftest import World, sign_in
from tests.review27b.test_accounting_page import _disclosed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("reader", ["patient", "prescriber"])
def test_the_day_and_time_are_the_programs(world: World, reader: str) -> None:
    world.riverside.time_zone = "America/Los_Angeles"
    world.riverside.save(update_fields=["time_zone"])
    at = (datetime.now(UTC) - timedelta(days=3)).replace(hour=6, minute=30, second=0, microsecond=0)
    _disclosed(world, world.staff["nurse"], at)
    if reader == "patient":
        page = sign_in(Client(), world.alice.user).get("/me/sharing/")
    else:
        page = sign_in(Client(), world.staff["prescriber"]).get(f"/patients/{world.alice.pk}/sharing/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "22:30" in text and "01:30" not in text
