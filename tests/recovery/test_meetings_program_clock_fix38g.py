"""Lane fix38g (review 38g hole 2, every template): the patient's "meetings starting soon" page says a
meeting's next start on her program's clock, not the server's (KEEL_TIME_ZONE)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import World, sign_in
from tests.directory.test_pages import WED_6PM, _feed, _upload

pytestmark = pytest.mark.django_db


@time_machine.travel(WED_6PM, tick=False)
def test_a_meeting_at_seven_in_new_york_is_said_at_four_on_a_pacific_programs_clock(
    world: World, settings: Any
) -> None:
    settings.TIME_ZONE = "America/New_York"
    world.riverside.time_zone = "America/Los_Angeles"
    world.riverside.save(update_fields=["time_zone"])
    _upload(sign_in(Client(), world.staff["program_admin"]), _feed())
    patient = sign_in(Client(), world.alice.user)
    patient.post("/me/meetings/", {"place": "13820"})
    assert "Wed 16:00" in patient.get("/me/meetings/").content.decode()
