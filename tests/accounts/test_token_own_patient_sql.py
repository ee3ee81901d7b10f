"""The API's token sign-in reads a patient's (or self-guided account's) own record in the same row as the
token and the user (`user_for_token`, issue #21: every API call runs it), and `own_patient_or_404` takes
that record instead of reading it again: the same record and program the ORM finds for the user, none for
staff or a patient role without a record, and taken once (a later call reads it again). Run on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from keel.access import policy
from keel.access.policy import Area, PatientNotFound
from keel.accounts.models import OWN_PATIENT, User
from keel.accounts.services import create_token, user_for_token
from keel.patients.models import Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _plain(p: Any) -> Any:
    if p is None:
        return None
    values = tuple(getattr(p, f.attname) for f in p._meta.concrete_fields)
    program = tuple(getattr(p.program, f.attname) for f in p.program._meta.concrete_fields)
    return values, program


def orm_own(user: Any) -> Any:
    if user.role not in ("patient", "self_guided"):
        return None
    return _plain(Patient.objects.select_related("program").filter(user=user).order_by("pk").first())


def _signed_in(user: Any) -> User:
    found = user_for_token(create_token(user=user, name="phone").secret)
    assert found is not None
    assert found.pk == user.pk
    return found


def test_the_own_record_read_with_the_token_is_the_orms_answer(world: World) -> None:
    users = [*world.staff.values(), world.bob.user, world.charlie.user, world.lakeside_nurse]
    if world.dana is not None:
        users.append(world.dana)
    users.append(User.objects.create(username="no-record", role="patient"))  # a patient role, no record
    for user in users:
        signed_in = _signed_in(user)
        assert _plain(signed_in.__dict__.get(OWN_PATIENT)) == orm_own(user), user.username


def test_own_patient_or_404_takes_the_record_once_then_reads_it_again(world: World) -> None:
    user = _signed_in(world.alice.user)
    carried = user.__dict__[OWN_PATIENT]
    first = policy.own_patient_or_404(user, area=Area.RECOVERY, audit_success=False)
    assert first is carried
    assert OWN_PATIENT not in user.__dict__
    second = policy.own_patient_or_404(user, area=Area.RECOVERY, audit_success=False)
    assert second is not carried
    assert _plain(second) == _plain(first) == orm_own(world.alice.user)


def test_a_patient_role_without_a_record_is_still_not_found(world: World) -> None:
    user = _signed_in(User.objects.create(username="no-record", role="patient"))
    with pytest.raises(PatientNotFound):
        policy.own_patient_or_404(user, area=Area.RECOVERY, audit_success=False)
