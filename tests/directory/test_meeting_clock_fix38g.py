"""Lane fix38g (review 38g hole 2, every template): the public meeting finder says a meeting's next start
on the reader's clock (the place's zone, `directory.views._reader_zone`), not the server's
(KEEL_TIME_ZONE): the view's conversion was undone by the `date` filter outside a zone block."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import World, sign_in
from tests.directory.test_pages import WED_6PM, _feed, _upload

pytestmark = pytest.mark.django_db


@time_machine.travel(WED_6PM, tick=False)
def test_a_meeting_at_seven_in_new_york_is_said_at_seven_on_a_pacific_server(
    world: World, settings: Any
) -> None:
    settings.TIME_ZONE = "America/Los_Angeles"
    _upload(sign_in(Client(), world.staff["program_admin"]), _feed())
    body = Client().get("/en/find/meetings/?place=13820&radius_mi=10").content.decode()
    assert "Next: Wednesday, Nov. 25, 7 p.m." in body
