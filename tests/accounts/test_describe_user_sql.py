"""`describe_user`'s hand-written statements (issue #21) answer exactly what the ORM answers, on SQLite and
PostgreSQL (the suite runs this file on both)."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts.models import Program, ProgramMembership, User
from keel.accounts.queries import describe_user, has_confirmed_totp, user_program_slugs
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _orm(user: User) -> dict[str, object]:
    return {
        "id": user.pk,
        "username": user.username,
        "role": user.role,
        "programs": [p.slug for p in user.programs.all()],
        "mfa_enrolled": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    }


def test_every_persona_is_described_as_the_orm_describes_it(world: World) -> None:
    users = [*world.staff.values(), world.bob.user, world.charlie.user, world.lakeside_nurse]
    if world.dana is not None:
        users.append(world.dana)
    for user in users:
        assert describe_user(user) == _orm(user), user.username


def test_several_programs_come_in_programs_order_by_name(world: World) -> None:
    nurse = world.staff["nurse"]
    for slug, name in (("zeta", "Aaron Street Clinic"), ("alpha", "Zebra Clinic"), ("mid", "Middle Clinic")):
        ProgramMembership.objects.create(user=nurse, program=Program.objects.create(slug=slug, name=name))
    assert user_program_slugs(nurse.pk) == [p.slug for p in nurse.programs.all()]


def test_a_user_in_no_program_has_none(world: World) -> None:
    user = User.objects.create(username="nobody", role="nurse")
    assert user_program_slugs(user.pk) == [p.slug for p in user.programs.all()] == []


def test_only_a_confirmed_device_counts_as_enrolled(world: World) -> None:
    user = world.bob.user
    TOTPDevice.objects.filter(user=user).delete()
    TOTPDevice.objects.create(user=user, name="pending", confirmed=False)
    assert has_confirmed_totp(user.pk) is False
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists() is False
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    assert has_confirmed_totp(user.pk) is True


def test_another_users_device_does_not_count(world: World) -> None:
    TOTPDevice.objects.filter(user=world.bob.user).delete()
    TOTPDevice.objects.create(user=world.charlie.user, name="default", confirmed=True)
    assert has_confirmed_totp(world.bob.user.pk) is False
