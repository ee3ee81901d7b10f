"""Session 38 (review 37d's decision asked): a password reset code given at the desk takes over an existing
account, so it works KEEL_RESET_CODE_HOURS (24 by default, 1 to 72), not an activation code's 14 days;
the desk page says the hour it stops working, in the program's zone."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from keel.patients.models import ActivationCode, zone_of
from tests.conftest import World

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a different and unusual passphrase"


def _code(signed_in: Any, patient_id: int) -> str:
    response = signed_in("program_admin").post(
        f"/api/v1/patients/{patient_id}/password-reset-code",
        json.dumps({"identity_checked": True}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return str(response.json()["code"])


def _reset(code: str) -> int:
    form = {"code": code, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    return Client().post("/accounts/reset-with-code/", form).status_code


def test_a_reset_code_expires_after_a_day(world: World, signed_in: Any) -> None:
    before = timezone.now()
    _code(signed_in, world.alice.pk)
    row = ActivationCode.objects.get(purpose="reset")
    assert timedelta(hours=23, minutes=59) < row.expires_at - before <= timedelta(hours=24, minutes=1)


def test_an_activation_code_still_works_its_days(world: World) -> None:
    from keel.patients.services.activation import code_lifetime

    assert code_lifetime("activate") == timedelta(days=14)


@override_settings(KEEL_RESET_CODE_HOURS=2)
def test_the_program_may_shorten_it(world: World, signed_in: Any) -> None:
    before = timezone.now()
    _code(signed_in, world.alice.pk)
    row = ActivationCode.objects.get(purpose="reset")
    assert row.expires_at - before <= timedelta(hours=2, minutes=1)


def test_a_reset_code_a_day_and_a_minute_old_does_not_work(world: World, signed_in: Any) -> None:
    code = _code(signed_in, world.alice.pk)
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        status = _reset(code)
    assert status == 422


def test_a_reset_code_an_hour_old_works(world: World, signed_in: Any) -> None:
    code = _code(signed_in, world.alice.pk)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        status = _reset(code)
    assert status in (200, 302)


def test_the_desk_page_says_the_hour_it_stops(world: World, signed_in: Any) -> None:
    page = signed_in("program_admin").post(
        f"/patients/{world.alice.pk}/password-reset-code/", {"identity_checked": "on"}
    )
    text = page.content.decode()
    assert page.status_code == 200, text[:500]
    stops = timezone.localtime(ActivationCode.objects.get(purpose="reset").expires_at, zone_of(world.alice))
    assert stops.strftime("%H:%M") in text
