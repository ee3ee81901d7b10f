"""Review 35g (read only, session 35): a staff member who left (turned off) is no longer a current member of
the care team (`patients.care_gap.acts_for_her`, review 35d hole 2), so she cannot be named responsible for
a new care-plan goal (the API and the page's pick-list), and the person's own plan never says she helps."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keel.accounts.services.deactivation import deactivate_user
from keel.patients.models import CareTeamMember
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _goal(world: World, responsible: int) -> dict[str, object]:
    review = (timezone.localdate() + timedelta(days=14)).isoformat()
    return {
        "area": "counseling",
        "goal": "Plan for Friday nights",
        "responsible_id": responsible,
        "review_on": review,
    }


@pytest.fixture
def nurse_left(world: World) -> int:
    nurse = world.staff["nurse"]
    CareTeamMember.objects.get_or_create(patient=world.alice, user=nurse)
    deactivate_user(user=nurse, by=world.staff["program_admin"])
    return nurse.pk


def test_a_goal_cannot_name_someone_who_left(world: World, nurse_left: int) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    answer = counselor.post(
        f"/api/v1/patients/{world.alice.pk}/care-goals",
        json.dumps(_goal(world, nurse_left)),
        content_type="application/json",
    )
    assert {e["field"] for e in answer.json()["errors"]} == {"responsible"}


def test_a_goal_can_still_name_a_current_member(world: World, nurse_left: int) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    CareTeamMember.objects.get_or_create(patient=world.alice, user=world.staff["counselor"])
    answer = counselor.post(
        f"/api/v1/patients/{world.alice.pk}/care-goals",
        json.dumps(_goal(world, world.staff["counselor"].pk)),
        content_type="application/json",
    )
    assert answer.status_code == 201


def test_the_goal_forms_pick_list_leaves_out_someone_who_left(world: World, nurse_left: int) -> None:
    counselor = sign_in(Client(), world.staff["counselor"])
    page = counselor.get(f"/patients/{world.alice.pk}/start/").content.decode()
    assert f'value="{nurse_left}"' not in page
