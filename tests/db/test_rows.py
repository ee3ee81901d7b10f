"""keel.db.rows: hand-written SQL that must read and write exactly what the ORM reads and writes, on SQLite
and PostgreSQL (the suite runs this file on both)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import models

from keel.accounts.models import ApiToken, Program, User
from keel.accounts.services import create_token
from keel.db import rows
from keel.patients.models import Patient
from keel.recovery.models import CheckIn
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _values(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _checkin(world: World, **extra: Any) -> CheckIn:
    now = datetime(2026, 3, 8, 7, 30, 15, 123456, tzinfo=UTC)
    fields: dict[str, Any] = {
        "patient": world.alice,
        "local_date": date(2026, 3, 8),
        "craving": 7,
        "mood": 2,
        "used": True,
        "used_what": ["heroin", "fentanyl"],
        "used_how": ["smoked"],
        "medication": "missed",
        "meeting": False,
        "counseling": True,
        "triggers": ["stress", "people"],
        "sleep": "poor",
        "private": b"\x00\x01 sealed \xff",
        "created_at": now,
        "updated_at": now,
    }
    return CheckIn(**{**fields, **extra})


def test_fetch_reads_every_kind_of_column_as_the_orm_does(world: World) -> None:
    saved = _checkin(world)
    saved.save()
    (found,) = rows.fetch('FROM "recovery_checkin" c WHERE c."id" = %s', [saved.pk], (CheckIn, "c"))
    assert _values(found[0]) == _values(CheckIn.objects.get(pk=saved.pk))
    assert found[0].used_what == ["heroin", "fentanyl"]
    assert found[0].used is True
    assert found[0].local_date == date(2026, 3, 8)
    assert found[0].updated_at == saved.updated_at
    assert bytes(found[0].private) == b"\x00\x01 sealed \xff"
    assert found[0]._state.adding is False


def test_fetch_joins_several_models_in_one_row(world: World) -> None:
    issued = create_token(user=world.alice.user, name="phone")
    found = rows.fetch(
        'FROM "accounts_apitoken" t JOIN "accounts_user" u ON u."id" = t."user_id" WHERE t."id" = %s',
        [issued.token.pk],
        (ApiToken, "t"),
        (User, "u"),
    )
    ((token, user),) = found
    assert _values(token) == _values(ApiToken.objects.get(pk=issued.token.pk))
    assert _values(user) == _values(User.objects.get(pk=world.alice.user.pk))
    assert user.is_active is True
    assert isinstance(user.date_joined, datetime)


def test_fetch_one_is_none_without_a_row(world: World) -> None:
    assert rows.fetch_one('FROM "patients_patient" p WHERE p."id" = %s', [-1], Patient, "p") is None
    found = rows.fetch_one('FROM "accounts_program" g WHERE g."id" = %s', [world.riverside.pk], Program, "g")
    assert found is not None
    assert found.slug == world.riverside.slug


def test_insert_writes_what_save_would_and_takes_the_database_pk(world: World) -> None:
    written = rows.insert(_checkin(world))
    assert written.pk is not None
    assert written._state.adding is False
    via_orm = _checkin(world, local_date=date(2026, 3, 9))
    via_orm.save()
    mine, theirs = _values(CheckIn.objects.get(pk=written.pk)), _values(CheckIn.objects.get(pk=via_orm.pk))
    for name in ("id", "local_date"):
        mine.pop(name), theirs.pop(name)
    assert mine == theirs
    assert CheckIn.objects.get(pk=written.pk).version == 1  # the field default, as save() applies it


def test_update_changes_only_the_named_fields(world: World) -> None:
    row = rows.insert(_checkin(world))
    row.craving, row.triggers, row.mood = 2, ["boredom"], 5
    row.updated_at = row.updated_at + timedelta(hours=1)
    assert rows.update(row, ("craving", "triggers", "updated_at")) == 1
    stored = CheckIn.objects.get(pk=row.pk)
    assert (stored.craving, stored.triggers, stored.mood) == (2, ["boredom"], 2)  # mood was not named
    assert stored.updated_at == row.updated_at
    ghost = _checkin(world)
    ghost.pk = -1
    assert rows.update(ghost, ("craving",)) == 0


def test_insert_unless_conflict_writes_what_insert_would_and_nothing_on_a_conflict(world: World) -> None:
    written = rows.insert_unless_conflict(_checkin(world), ("patient", "local_date"))
    assert written is not None
    assert written._state.adding is False
    again = rows.insert_unless_conflict(_checkin(world, craving=1), ("patient", "local_date"))
    assert again is None
    assert CheckIn.objects.filter(patient=world.alice).count() == 1
    via_orm = _checkin(world, local_date=date(2026, 3, 9))
    via_orm.save()
    mine, theirs = _values(CheckIn.objects.get(pk=written.pk)), _values(CheckIn.objects.get(pk=via_orm.pk))
    for name in ("id", "local_date"):
        mine.pop(name), theirs.pop(name)
    assert mine == theirs


def test_update_when_changes_the_row_only_if_it_still_holds_the_values(world: World) -> None:
    row = rows.insert(_checkin(world))
    row.craving, row.version = 4, 2
    assert rows.update(row, ("craving", "version"), when=(("version", 3),)) == 0
    assert CheckIn.objects.get(pk=row.pk).craving == 7
    assert rows.update(row, ("craving", "version"), when=(("version", 1),)) == 1
    stored = CheckIn.objects.get(pk=row.pk)
    assert (stored.craving, stored.version) == (4, 2)


# rows._built (issue #21): the instance `from_db` builds, without Model.__init__'s per-instance overhead, for
# every model whose construction is Django's plain one; any other model, or one with init signal receivers,
# still goes through `from_db`.
def _state_and_dict(obj: Any) -> tuple[Any, ...]:
    values = {k: v for k, v in vars(obj).items() if k != "_state"}
    return type(obj), list(values), values, obj._state.adding, obj._state.db, next(iter(vars(obj)))


def test_built_instances_are_from_dbs_for_every_plain_model() -> None:
    from django.apps import apps

    plain = [m for m in apps.get_models() if rows._plain(m)]
    assert len(plain) > 20
    for model in plain:
        values = [object() for _ in model._meta.concrete_fields]
        built = rows._built(model, list(values), "default")
        made = model.from_db("default", rows._attnames(model), list(values))
        assert _state_and_dict(built) == _state_and_dict(made), model


def test_the_dose_paths_models_are_built_plainly() -> None:
    from django.contrib.sessions.models import Session
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from keel.accounts.models import Program, User
    from keel.patients.models import Enrollment, Patient
    from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder, TakeHomePlan

    for model in (
        DoseRecord, DoseAmendment, Enrollment, TakeHomePlan, Patient, Program, MedicationOrder, User,
        Session, TOTPDevice, CheckIn,
    ):  # fmt: skip
        assert rows._plain(model), model


def test_a_model_with_an_init_receiver_is_built_by_from_db(world: World) -> None:
    from django.db.models.signals import post_init

    saved = _checkin(world)
    saved.save()
    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(receiver, sender=CheckIn)
    try:
        (found,) = rows.fetch('FROM "recovery_checkin" c WHERE c."id" = %s', [saved.pk], (CheckIn, "c"))
    finally:
        post_init.disconnect(receiver, sender=CheckIn)
    assert seen == [found[0]]
    assert _values(found[0]) == _values(CheckIn.objects.get(pk=saved.pk))


def test_a_model_with_its_own_init_from_db_or_descriptor_is_not_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db.models.fields.files import FileDescriptor

    plain = rows._plain.__wrapped__  # uncached: the model is changed below
    assert plain(CheckIn)

    def own_init(self: Any, *args: Any, **kwargs: Any) -> None:
        models.Model.__init__(self, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(CheckIn, "__init__", own_init)
        assert not plain(CheckIn)
    with monkeypatch.context() as m:
        m.setattr(CheckIn, "from_db", classmethod(lambda cls, db, names, values: None))
        assert not plain(CheckIn)
    with monkeypatch.context() as m:
        m.setattr(CheckIn, "mood", FileDescriptor(CheckIn._meta.get_field("mood")))
        assert not plain(CheckIn)
    assert plain(CheckIn)
