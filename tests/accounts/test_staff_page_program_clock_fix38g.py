"""Lane fix38g (review 38g hole 2, same cause): the staff page says when an invitation and a second-factor
set-up code stop working on the program's clock, not the server's (KEEL_TIME_ZONE)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import dateformat

from keel.accounts.models import Invitation, SecondFactorSetupCode
from keel.web.dates import shown_date
from tests.conftest import PASSWORD, World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.review35d._setup import invite

pytestmark = pytest.mark.django_db
PACIFIC = "America/Los_Angeles"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.fixture
def pacific(world: World, settings: Any) -> World:
    settings.TIME_ZONE = "America/New_York"
    world.riverside.time_zone = PACIFIC
    world.riverside.save(update_fields=["time_zone"])
    return world


def _pacific_clock(moment: Any) -> str:
    return dateformat.format(moment.astimezone(ZoneInfo(PACIFIC)), "H:i")


def _shown_day(moment: Any) -> str:
    return shown_date(moment.astimezone(ZoneInfo(PACIFIC)))


def test_an_invitation_works_until_a_time_on_the_programs_clock(pacific: World) -> None:
    invite(pacific.staff["program_admin"], "nia@example.org")
    until = Invitation.objects.get(email="nia@example.org").expires_at
    page = sign_in(Client(), pacific.staff["program_admin"]).get("/program/staff/").content.decode()
    assert f"works until {_shown_day(until)}, {_pacific_clock(until)}" in page


def test_a_set_up_code_works_until_a_time_on_the_programs_clock(pacific: World) -> None:
    admin = sign_in(Client(), pacific.staff["program_admin"])
    nurse = pacific.staff["nurse"]
    page = admin.post(f"/program/staff/{nurse.pk}/second-factor/reset/", {"password": PASSWORD})
    until = SecondFactorSetupCode.objects.get(user=nurse).expires_at
    assert f"until {_shown_day(until)}, {_pacific_clock(until)}" in page.content.decode()
