"""The check-in's patient lock sent with today's write (issue #21, lane perf26): on PostgreSQL one statement,
`WITH "locked" AS (<the patient lock>) INSERT ... / UPDATE ...` (`keel.db.rows.Locked`), where two went
before (`_lock_patient`, then the write): one round trip fewer per check-in. The lock is the same statement
as `_lock_patient`'s (held to the ORM's by test_checkin_lock_sql.py), taken before the row is written (the
write reads the patient's id from the locked row); the row written is the one the plain write writes.
SQLite: nothing to lock, the plain write (no CTE)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keel.db import rows
from keel.patients.models import local_today
from keel.recovery import services as recovery
from keel.recovery.models import CheckIn
from keel.recovery.schemas import CheckInIn
from keel.recovery.services import checkins
from tests.conftest import World

on_postgres = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
    reason="row locks: PostgreSQL",
)
on_sqlite = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'sqlite'",
    reason="SQLite: no lock to send",
)

QUIET = {"craving": 2, "mood": 4, "used": False, "medication": "taken"}


NOW = timezone.now()


def _checkin(world: World, days_ago: int = 0, **values: Any) -> CheckIn:
    now = NOW
    return CheckIn(
        patient=world.alice,
        local_date=local_today(world.alice, now) - timedelta(days=days_ago),
        created_at=now,
        updated_at=now,
        **{"craving": 3, "mood": 3, "used": False, "medication": "taken", **values},
    )


def _waits(patient_id: int) -> bool:
    """From another connection: whether locking the patient's row FOR NO KEY UPDATE would wait (NOWAIT)."""
    waits: list[bool] = []

    def other() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    'SELECT 1 FROM "patients_patient" WHERE "id" = %s FOR NO KEY UPDATE NOWAIT', [patient_id]
                )
            waits.append(False)
        except OperationalError:
            waits.append(True)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    (answer,) = waits
    return answer


def _comparable(row: CheckIn) -> dict[str, Any]:
    return {k: v for k, v in model_to_dict(row).items() if k not in ("id", "local_date")}


@on_postgres
@pytest.mark.django_db
def test_the_insert_sends_the_patient_lock_and_the_row_in_one_statement(world: World) -> None:
    with CaptureQueriesContext(connection) as queries:
        created = rows.insert_unless_conflict(
            _checkin(world), ("patient", "local_date"), locked=checkins._locking(world.alice)
        )
    (sent,) = [q["sql"] for q in queries.captured_queries]
    assert created is not None
    assert sent.startswith(f'WITH "locked" AS ({checkins._LOCK_PATIENT_SQL % world.alice.pk}) INSERT')


@on_postgres
@pytest.mark.django_db
def test_the_locked_insert_writes_the_row_the_plain_insert_writes(world: World) -> None:
    plain = rows.insert_unless_conflict(_checkin(world, 1, mood=5), ("patient", "local_date"))
    locked = rows.insert_unless_conflict(
        _checkin(world, 0, mood=5), ("patient", "local_date"), locked=checkins._locking(world.alice)
    )
    assert plain is not None and locked is not None
    assert _comparable(CheckIn.objects.get(pk=locked.pk)) == _comparable(CheckIn.objects.get(pk=plain.pk))


@on_postgres
@pytest.mark.django_db
def test_the_locked_insert_of_an_existing_day_writes_nothing(world: World) -> None:
    rows.insert(_checkin(world))
    again = rows.insert_unless_conflict(
        _checkin(world, mood=1), ("patient", "local_date"), locked=checkins._locking(world.alice)
    )
    assert again is None
    assert CheckIn.objects.filter(patient=world.alice).count() == 1


@on_postgres
@pytest.mark.django_db
def test_the_locked_update_writes_what_the_plain_update_writes(world: World) -> None:
    one, two = rows.insert(_checkin(world, 1)), rows.insert(_checkin(world, 0))
    for row in (one, two):
        row.mood, row.version = 1, row.version + 1
    assert rows.update(one, ("mood", "version"), when=(("version", 1),)) == 1
    with CaptureQueriesContext(connection) as queries:
        changed = rows.update(
            two, ("mood", "version"), when=(("version", 1),), locked=checkins._locking(world.alice)
        )
    assert changed == 1
    (sent,) = [q["sql"] for q in queries.captured_queries]
    assert sent.startswith(f'WITH "locked" AS ({checkins._LOCK_PATIENT_SQL % world.alice.pk}) UPDATE')
    assert _comparable(CheckIn.objects.get(pk=two.pk)) == _comparable(CheckIn.objects.get(pk=one.pk))


@on_postgres
@pytest.mark.django_db
def test_the_locked_update_of_a_moved_version_changes_nothing(world: World) -> None:
    row = rows.insert(_checkin(world))
    row.mood = 1
    changed = rows.update(row, ("mood",), when=(("version", 7),), locked=checkins._locking(world.alice))
    assert changed == 0
    assert CheckIn.objects.get(pk=row.pk).mood == 3


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["insert", "update"])
def test_the_patients_row_is_locked_by_the_write_until_the_commit(world: World, path: str) -> None:
    existing = rows.insert(_checkin(world)) if path == "update" else None
    with transaction.atomic():
        if existing is None:
            rows.insert_unless_conflict(
                _checkin(world), ("patient", "local_date"), locked=checkins._locking(world.alice)
            )
        else:
            existing.mood, existing.version = 1, 2
            rows.update(
                existing, ("mood", "version"), when=(("version", 1),), locked=checkins._locking(world.alice)
            )
        held = (_waits(world.alice.pk), _waits(world.bob.pk))
    assert held == (True, False)
    assert _waits(world.alice.pk) is False


@on_postgres
@pytest.mark.django_db
@pytest.mark.parametrize("first", [True, False], ids=["new_day", "edit"])
def test_a_check_in_locks_the_patient_in_its_write_statement(world: World, first: bool) -> None:
    """The whole check-in (`record_checkin`, the fast path): no separate lock statement; the lock is the
    write's. Statements pinned (below). Before this change: 9."""
    if not first:
        recovery.record_checkin(by=world.alice.user, data=CheckInIn.posted(QUIET), key="first")
    with CaptureQueriesContext(connection) as queries:
        recovery.record_checkin(by=world.alice.user, data=CheckInIn.posted(QUIET), key="second")
    sent = [q["sql"] for q in queries.captured_queries]
    locks = [sql for sql in sent if "FOR NO KEY UPDATE" in sql]
    assert len(locks) == 1
    assert locks[0].startswith('WITH "locked" AS (SELECT "id" FROM "patients_patient"')
    assert "recovery_checkin" in locks[0]
    assert len(sent) == 8, sent  # the scoped patient, the key and the series, SAVEPOINT, the locked write,
    # the key's insert, the head's lock, the audit row and the head, RELEASE SAVEPOINT


@on_sqlite
@pytest.mark.django_db
def test_sqlite_writes_the_plain_statement(world: World) -> None:
    assert checkins._locking(world.alice) is None
    with CaptureQueriesContext(connection) as queries:
        recovery.record_checkin(by=world.alice.user, data=CheckInIn.posted(QUIET), key="plain")
    assert not any("locked" in q["sql"] for q in queries.captured_queries)
