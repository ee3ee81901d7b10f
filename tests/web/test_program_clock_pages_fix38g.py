"""Lane fix38g (review 38g hole 2, every template): a page that says a day or time of a stored instant says it
on the program's clock. The program is in America/Los_Angeles and the server's zone (KEEL_TIME_ZONE) is
Asia/Tokyo: at the pinned 17:00 UTC it is still the morning in Los Angeles and already the next day in Tokyo,
so a day said on the server's clock is one day late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from keel.patients.models import ActivationCode
from keel.selfguided.models import HistoryConsent, LinkCode
from keel.treatment.services.policy import set_value
from keel.web.dates import shown_date
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.review27b.test_death_and_activation import _no_account_yet

pytestmark = pytest.mark.django_db
PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


@pytest.fixture
def pacific(world: World, settings: Any) -> World:
    settings.TIME_ZONE = "Asia/Tokyo"
    world.riverside.time_zone = "America/Los_Angeles"
    world.riverside.save(update_fields=["time_zone"])
    return world


def _pacific_day(moment: datetime) -> str:
    return shown_date(moment.astimezone(PACIFIC))


def _admin(world: World) -> Client:
    return sign_in(Client(), world.staff["program_admin"])


def test_the_activation_code_page_says_its_last_day_on_the_programs_clock(pacific: World) -> None:
    patient = _no_account_yet(pacific)
    page = _admin(pacific).post(f"/patients/{patient.pk}/activation-code/").content.decode()
    until = ActivationCode.objects.get(patient=patient).expires_at
    assert f"until {_pacific_day(until)}." in page


def test_the_reset_code_page_says_its_last_day_on_the_programs_clock(pacific: World) -> None:
    url = f"/patients/{pacific.alice.pk}/password-reset-code/"
    page = _admin(pacific).post(url, {"identity_checked": "on"}).content.decode()
    until = ActivationCode.objects.get(patient=pacific.alice, purpose="reset").expires_at
    assert f"until {_pacific_day(until)}." in page


def test_the_link_code_page_says_its_last_day_on_the_programs_clock(pacific: World) -> None:
    patient = _no_account_yet(pacific)
    page = _admin(pacific).post(f"/patients/{patient.pk}/link-code/").content.decode()
    until = LinkCode.objects.get(patient=patient).expires_at
    assert f"until {_pacific_day(until)}." in page


def test_the_policy_page_says_the_day_of_a_change_on_the_programs_clock(pacific: World) -> None:
    set_value(
        by=pacific.staff["program_admin"],
        program_slug="riverside",
        rule="take-home-eligibility",
        field="admission_day_number",
        value=1,
        reason="program decision after the medical director's review",
    )
    page = _admin(pacific).get("/program/policy/").content.decode()
    assert f"{_pacific_day(timezone.now())}: program decision" in page


def test_my_page_says_the_day_a_consent_was_signed_on_the_programs_clock(pacific: World) -> None:
    alice = pacific.alice
    HistoryConsent.objects.create(
        patient=alice,
        program=pacific.riverside,
        user=alice.user,
        bring_history=False,
        words="I agree.",
        language="en",
        signature="Alice",
        signed_at=timezone.now(),
    )
    page = sign_in(Client(), alice.user).get("/me/").content.decode()
    assert f"Signed on {_pacific_day(timezone.now())} as Alice." in page
