"""Review 13a: `audit.record` split into `_who`, `_event_fields` and `_append` (moved code only). Held to what
it did: an event about a record a clinician sees only through emergency access says so (unless a reason is
given; not for someone on the care team, nor after the grant ended); a self-guided account's event names no
one and no record and goes to chain 0; an actor not signed in keeps the id passed and no role; each program's
events go to its own chain. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from keel.audit import services as audit
from keel.audit.models import Action
from keel.patients.models import CareTeamMember, EmergencyAccess
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _grant(world: World, *, ended: bool = False) -> None:
    now = timezone.now()
    EmergencyAccess.objects.create(
        patient=world.bob,
        user=world.staff["nurse"],
        reason="overdose in the waiting room",
        started_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(hours=1),
        ended_at=now if ended else None,
    )


def _about_bob(world: World, actor: Any, **kw: Any) -> Any:
    return audit.record(
        actor=actor,
        action=Action.READ,
        patient_id=world.bob.pk,
        program_id=world.bob.program_id,
        target_type="patient",
        target_id=world.bob.pk,
        **kw,
    )


def test_an_event_through_emergency_access_says_so(world: World) -> None:
    _grant(world)
    assert _about_bob(world, world.staff["nurse"]).reason == "emergency access"


def test_a_reason_given_is_kept_through_emergency_access(world: World) -> None:
    _grant(world)
    assert _about_bob(world, world.staff["nurse"], reason="disclosure").reason == "disclosure"


def test_an_ended_grant_is_not_emergency_access(world: World) -> None:
    _grant(world, ended=True)
    assert _about_bob(world, world.staff["nurse"]).reason == ""


def test_on_the_care_team_it_is_not_emergency_access(world: World) -> None:
    _grant(world)
    CareTeamMember.objects.create(patient=world.bob, user=world.staff["nurse"])
    assert _about_bob(world, world.staff["nurse"]).reason == ""


def test_a_program_admin_is_never_emergency_access(world: World) -> None:
    _grant(world)
    assert _about_bob(world, world.staff["program_admin"]).reason == ""


def test_the_actor_is_the_signed_in_users(world: World) -> None:
    event = _about_bob(world, world.staff["nurse"], actor_id=999999)
    assert (event.actor_id, event.actor_role) == (world.staff["nurse"].pk, "nurse")


def test_an_actor_not_signed_in_keeps_the_id_passed_and_no_role(world: World) -> None:
    event = _about_bob(world, AnonymousUser(), actor_id=world.staff["nurse"].pk)
    assert (event.actor_id, event.actor_role) == (world.staff["nurse"].pk, "")


def test_a_self_guided_event_names_no_one_and_no_record(world: World) -> None:
    event = _about_bob(world, world.dana, detail={"answers": 3})
    assert (
        event.actor_id,
        event.patient_id,
        event.program_id,
        event.target_id,
        event.detail,
        event.chain,
    ) == (
        None,
        None,
        None,
        "",
        {},
        0,
    )


def test_a_self_guided_event_keeps_its_role(world: World) -> None:
    assert _about_bob(world, world.dana).actor_role == "self_guided"


def test_each_program_has_its_own_chain(world: World) -> None:
    river = _about_bob(world, world.staff["nurse"])
    lake = audit.record(
        actor=world.lakeside_nurse,
        action=Action.READ,
        patient_id=world.charlie.pk,
        program_id=world.lakeside.pk,
        target_type="patient",
        target_id=world.charlie.pk,
    )
    assert (river.chain, lake.chain) == (world.riverside.pk, world.lakeside.pk)
