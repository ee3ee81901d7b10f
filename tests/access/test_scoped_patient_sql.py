"""A clinician's scoped patient read in hand-written SQL (`get_patient_or_404`, issue #21: every clinical
write runs it) is the ORM queryset's answer (`patients_visible_to` with the off-team flag): the same
patient, program and emergency-access flag, or none, for each clinical role and program, on the care team
or not, with emergency access open, expired or ended, a personal space's membership, and ids that match
nothing. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Exists, OuterRef
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area, PatientNotFound
from keel.accounts.models import Program, ProgramMembership
from keel.patients.models import CareTeamMember, EmergencyAccess
from tests.conftest import World

pytestmark = pytest.mark.django_db


def orm_read(user: Any, pk: int) -> Any:
    on_team = CareTeamMember.objects.filter(user=user, patient=OuterRef("pk"))
    found = (
        policy.patients_visible_to(user, Area.CLINICAL)
        .select_related("program")
        .annotate(keel_off_team=~Exists(on_team))
        .filter(pk=pk)
        .first()
    )
    return _plain(found)


def sql_read(user: Any, pk: int) -> Any:
    try:
        found = policy.get_patient_or_404(user, pk, area=Area.CLINICAL, audit_success=False)
    except PatientNotFound:
        return None
    return _plain(found)


def _plain(p: Any) -> Any:
    if p is None:
        return None
    values = tuple(getattr(p, f.attname) for f in p._meta.concrete_fields)
    program = tuple(getattr(p.program, f.attname) for f in p.program._meta.concrete_fields)
    return values, program, p.keel_off_team


def _grant(world: World, user: Any, patient: Any, state: str) -> None:
    now = timezone.now()
    if state == "none":
        return
    EmergencyAccess.objects.create(
        patient=patient,
        user=user,
        reason="emergency",
        started_at=now - timedelta(hours=2),
        expires_at=now - timedelta(hours=1) if state == "expired" else now + timedelta(hours=1),
        ended_at=now - timedelta(minutes=5) if state == "ended" else None,
    )


@pytest.mark.parametrize("emergency", ["none", "open", "expired", "ended"])
@pytest.mark.parametrize("role", ["nurse", "prescriber", "counselor", "lakeside nurse"])
def test_a_clinicians_scoped_read_in_sql_is_the_orm_querysets_answer(
    world: World, role: str, emergency: str
) -> None:
    user = world.lakeside_nurse if role == "lakeside nurse" else world.staff[role]
    patients = [world.alice, world.bob, world.charlie]
    for patient in patients:
        _grant(world, user, patient, emergency)
    ids = [p.pk for p in patients] + [max(p.pk for p in patients) + 100, 0, -1, 2**63 - 1, 2**63]
    for pk in ids:
        assert sql_read(user, pk) == orm_read(user, pk), (role, emergency, pk)


def test_a_personal_space_membership_gives_no_scope_in_sql_either(world: World) -> None:
    nurse = world.staff["nurse"]
    space = Program.objects.create(slug="personal-x", name="Personal", is_personal=True)
    ProgramMembership.objects.create(user=nurse, program=space)
    world.bob.program = space
    world.bob.save()
    CareTeamMember.objects.create(patient=world.bob, user=nurse)
    assert orm_read(nurse, world.bob.pk) is None
    assert sql_read(nurse, world.bob.pk) is None
    assert sql_read(nurse, world.alice.pk) == orm_read(nurse, world.alice.pk) is not None


def test_the_emergency_flag_is_read_in_sql(world: World) -> None:
    nurse = world.staff["nurse"]
    _grant(world, nurse, world.bob, "open")
    assert sql_read(nurse, world.bob.pk)[2] is True
    assert sql_read(nurse, world.alice.pk)[2] is False
