"""Session 19q: the readmission page warns (never refuses) when the person's care team has no nurse or
prescriber who can still act for them (`patients.care_gap.team_gaps`, the one definition of a gap)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts.models import Role
from keel.patients import care_gap
from keel.patients.models import CareTeamMember, Enrollment
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOW = "2026-03-10T16:00:00+00:00"
WARNING = "has no nurse or prescriber who can act for them now"
READMIT_FORM = {"started_on": "2026-03-10", "confirmed": "on", "notice_given": "on", "consented": "on"}


@pytest.fixture(autouse=True)
def _pinned() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _discharged(world: World) -> Client:
    client = sign_in(Client(), world.staff["program_admin"])
    response = client.post(
        f"/patients/{world.alice.pk}/discharge/", {"ended_on": "2026-03-01", "reason": "left"}
    )
    assert response.status_code == 302
    return client


def _without_dosing_staff(world: World) -> None:
    CareTeamMember.objects.filter(patient=world.alice, user__role__in=[Role.NURSE, Role.PRESCRIBER]).delete()


def test_team_gaps_names_the_dosing_gap(world: World) -> None:
    _without_dosing_staff(world)
    assert care_gap.GAP_DOSING in care_gap.team_gaps(world.alice)


def test_a_full_team_has_no_dosing_gap(world: World) -> None:
    assert care_gap.GAP_DOSING not in care_gap.team_gaps(world.alice)


def test_the_readmission_page_warns_without_a_nurse_or_prescriber(world: World) -> None:
    client = _discharged(world)
    _without_dosing_staff(world)
    assert WARNING in client.get(f"/patients/{world.alice.pk}/episodes/").content.decode()


def test_the_warning_is_in_spanish(world: World) -> None:
    client = _discharged(world)
    _without_dosing_staff(world)
    page = client.get(f"/patients/{world.alice.pk}/episodes/", headers={"accept-language": "es"})
    assert "no tiene enfermera ni prescriptor" in page.content.decode()


def test_no_warning_with_a_nurse_or_prescriber(world: World) -> None:
    client = _discharged(world)
    assert WARNING not in client.get(f"/patients/{world.alice.pk}/episodes/").content.decode()


def test_the_readmission_is_still_saved(world: World) -> None:
    client = _discharged(world)
    _without_dosing_staff(world)
    assert client.post(f"/patients/{world.alice.pk}/readmit/", READMIT_FORM).status_code == 302
    assert Enrollment.objects.filter(patient=world.alice, status="active").count() == 1
