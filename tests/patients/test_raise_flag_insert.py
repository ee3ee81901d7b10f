"""`raise_flag` inserts the flag by hand-written SQL (`keel.db.rows.insert`, issue #21, lane perf24): the
row is the one `PatientFlag.objects.create` writes with the same values (every column, as read back), and a
second flag of one source fails as the ORM's does, leaving the transaction to be rolled back. Run on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from keel.patients.flags import raise_flag
from keel.patients.models import FlagKind, PatientFlag
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 15, 0, 0, 123456, tzinfo=UTC)
VALUES: dict[str, Any] = {
    "kind": FlagKind.DOSE_HELD,
    "priority": 1,
    "reasons": ["held: sedated", "ñ and \u00e9 kept"],
    "said": [{"template": "held %(mg)s", "params": {"mg": "30", "days": ["a", "b"]}}],
    "sources": ["42cfr8.12-2024", "src-2"],
    "source_type": "dose",
    "raised_at": NOW,
}


def _raise(world: World, source_id: int) -> PatientFlag:
    return raise_flag(
        by=world.staff["nurse"],
        patient=world.alice,
        kind=VALUES["kind"],
        priority=VALUES["priority"],
        reasons=VALUES["reasons"],
        said=VALUES["said"],
        sources=VALUES["sources"],
        source_type=VALUES["source_type"],
        source_id=source_id,
        now=NOW,
        audit_reason="dose held: prescriber to assess",
    )


def _columns(pk: int) -> dict[str, Any]:
    row = PatientFlag.objects.get(pk=pk)
    return {f.attname: getattr(row, f.attname) for f in PatientFlag._meta.concrete_fields}


def test_the_flag_raised_is_the_row_the_orm_writes(world: World) -> None:
    raised = _raise(world, 7)
    orm = PatientFlag.objects.create(patient=world.alice, source_id=8, **VALUES)
    ours, theirs = _columns(raised.pk), _columns(orm.pk)
    assert ours.pop("id") != theirs.pop("id")
    assert (ours.pop("source_id"), theirs.pop("source_id")) == (7, 8)
    assert ours == theirs
    # the instance returned is saved, as create() leaves it
    assert raised.pk is not None and not raised._state.adding and raised._state.db == orm._state.db


def test_a_second_flag_of_one_source_fails_as_the_orms_does(world: World) -> None:
    _raise(world, 7)
    for write in (
        lambda: _raise(world, 7),
        lambda: PatientFlag.objects.create(patient=world.alice, source_id=7, **VALUES),
    ):
        with transaction.atomic():
            with pytest.raises(IntegrityError):
                write()
            assert connection.needs_rollback  # the block is rolled back at its end, as after save()
    assert PatientFlag.objects.filter(source_type="dose", source_id=7).count() == 1
