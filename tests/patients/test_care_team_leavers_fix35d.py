"""Review 35d hole 2, lane fix35d: a staff member who left (account turned off, or no longer working in the
person's program) is not listed as a current member of her care team (`care_gap.acts_for_her`, the one
definition); the record, the care team page and the API list them apart, as having left on a day."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from keel.accounts import staff
from keel.accounts.models import ProgramMembership
from keel.patients.models import CareTeamMember, local_today
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _nurse_leaves(world: World) -> Any:
    nurse = world.staff["nurse"]
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    return nurse


def _record(world: World, signed_in: Any) -> Any:
    return signed_in("program_admin").get(f"/api/v1/patients/{world.alice.pk}").json()


def _past(record: Any, user_id: int) -> Any:
    return next(m for m in record["past_care_team"] if m["id"] == user_id)


def test_a_turned_off_nurse_is_listed_as_past(world: World, signed_in: Any) -> None:
    nurse = _nurse_leaves(world)
    assert nurse.pk in [m["id"] for m in _record(world, signed_in)["past_care_team"]]


def test_the_api_says_the_day_she_left(world: World, signed_in: Any) -> None:
    nurse = _nurse_leaves(world)
    today = local_today(world.alice, timezone.now())
    assert _past(_record(world, signed_in), nurse.pk)["left_on"] == today.isoformat()


def test_a_current_member_has_no_day_left(world: World, signed_in: Any) -> None:
    _nurse_leaves(world)
    current = _record(world, signed_in)["care_team"]
    assert [m["left_on"] for m in current] == [None] * len(current)


def test_the_others_stay_on_the_team(world: World, signed_in: Any) -> None:
    _nurse_leaves(world)
    ids = {m["id"] for m in _record(world, signed_in)["care_team"]}
    assert world.staff["counselor"].pk in ids


def _removed_from_riverside(world: World) -> Any:
    nurse = world.staff["nurse"]
    ProgramMembership.objects.create(user=nurse, program=world.lakeside)
    staff.deactivate(by=world.staff["program_admin"], program_slug="riverside", user_id=nurse.pk)
    return nurse


def test_a_nurse_removed_from_the_program_is_not_a_current_member(world: World, signed_in: Any) -> None:
    nurse = _removed_from_riverside(world)
    assert nurse.pk not in [m["id"] for m in _record(world, signed_in)["care_team"]]


def test_a_nurse_removed_from_the_program_left_on_that_day(world: World, signed_in: Any) -> None:
    nurse = _removed_from_riverside(world)
    today = local_today(world.alice, timezone.now())
    assert _past(_record(world, signed_in), nurse.pk)["left_on"] == today.isoformat()


def test_the_record_page_lists_her_as_left(world: World, signed_in: Any) -> None:
    _nurse_leaves(world)
    page = signed_in("program_admin").get(f"/patients/{world.alice.pk}/").content.decode()
    assert "Left the care team" in page


def test_the_care_team_page_says_she_left(world: World, signed_in: Any) -> None:
    _nurse_leaves(world)
    page = signed_in("program_admin").get(f"/patients/{world.alice.pk}/care-team/").content.decode()
    assert "), left on " in page


def test_the_care_team_page_in_spanish_says_she_left(world: World, signed_in: Any) -> None:
    _nurse_leaves(world)
    client = signed_in("program_admin")
    page = client.get(f"/patients/{world.alice.pk}/care-team/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Dejaron el equipo de atención" in page


def test_an_admin_takes_her_off_the_team(world: World, signed_in: Any) -> None:
    nurse = _nurse_leaves(world)
    signed_in("program_admin").post(f"/patients/{world.alice.pk}/care-team/{nurse.pk}/remove/")
    assert not CareTeamMember.objects.filter(patient=world.alice, user=nurse).exists()


def test_the_care_gap_rule_reads_the_same_team(world: World) -> None:
    from keel.patients import care_gap

    _nurse_leaves(world)
    current = CareTeamMember.objects.filter(care_gap.acts_for_her(), patient=world.alice)
    assert world.staff["nurse"].pk not in [m.user_id for m in current]
