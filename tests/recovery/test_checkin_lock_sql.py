"""The check-in's patient lock (`keel.recovery.services.checkins._lock_patient`), hand-written SQL kept as it
pays (issue #17, lane shape17o: `bench/patient_lock.py`, the ORM's about 2.4x its cost per call), held to the
ORM's `select_for_update(no_key=True)` of the same row on both databases. PostgreSQL: one `SELECT ... FOR NO
KEY UPDATE` of the patient's row, the ORM's statement but for its qualified, named column, in the same lock
mode (another locker waits; a KEY SHARE, which a new flag's, dose's or check-in's foreign key takes at commit,
does not, so a check-in and a flag raised at once no longer deadlock), no other row. SQLite: nothing sent (the
write transaction holds the database), where the ORM would send a SELECT that locks nothing. The deadlock
tests that need the lock are tests/review21b/test_holes.py and test_held.py."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from keel.patients.models import Patient
from keel.recovery.services.checkins import _LOCK_PATIENT_SQL, _lock_patient
from tests.conftest import World

on_postgres = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
    reason="row locks: PostgreSQL",
)
on_sqlite = pytest.mark.skipif(
    "not __import__('django.db', fromlist=['connection']).connection.vendor == 'sqlite'",
    reason="SQLite sends nothing",
)


def _orm_lock(patient: Patient) -> None:
    """What the hand-written statement stands for."""
    list(
        Patient.objects.select_for_update(no_key=True)
        .filter(pk=patient.pk)
        .order_by()
        .values_list("id", flat=True)
    )


def _sent(lock: object, patient: Patient) -> list[str]:
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        lock(patient)  # type: ignore[operator]
    return [q["sql"] for q in queries.captured_queries]


def test_the_statement_names_the_patients_table_and_key() -> None:
    """The names the statement writes out are the ones Django gives the model."""
    assert (Patient._meta.db_table, Patient._meta.pk.column) == ("patients_patient", "id")


@on_sqlite
@pytest.mark.django_db
def test_sqlite_sends_nothing_where_the_orm_would_lock_nothing(world: World) -> None:
    assert connection.features.has_select_for_update is False
    assert _sent(_lock_patient, world.alice) == []
    (orm,) = _sent(_orm_lock, world.alice)
    assert "FOR UPDATE" not in orm


@on_postgres
@pytest.mark.django_db
def test_postgres_sends_the_orms_statement_once(world: World) -> None:
    """The hand-written statement is the ORM's, its column unqualified and not renamed: if Django's lock
    statement changes (another clause, another lock), this fails."""
    assert connection.features.has_select_for_update is True
    (hand,) = _sent(_lock_patient, world.alice)
    (orm,) = _sent(_orm_lock, world.alice)
    assert hand == _LOCK_PATIENT_SQL % world.alice.pk
    assert (
        orm.replace('"patients_patient"."id" AS "id"', '"id"').replace('"patients_patient"."id"', '"id"')
        == hand
    )


def _key_share_waits(patient_id: int, mode: str = "KEY SHARE") -> bool:
    """From another connection: whether taking a KEY SHARE lock on the patient's row (what a foreign key to it
    takes; or another `mode`) would wait, asked with NOWAIT."""
    waits: list[bool] = []

    def other() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    'SELECT 1 FROM "patients_patient" WHERE "id" = %s FOR ' + mode + " NOWAIT", [patient_id]
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


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lock", [_lock_patient, _orm_lock], ids=["hand_written", "orm"])
def test_the_patients_row_is_locked_as_the_orm_locks_it(world: World, lock: object) -> None:
    with transaction.atomic():
        lock(world.alice)  # type: ignore[operator]
        held = (
            _key_share_waits(world.alice.pk, "NO KEY UPDATE"),
            _key_share_waits(world.bob.pk, "NO KEY UPDATE"),
        )
    assert held == (True, False)
    assert _key_share_waits(world.alice.pk, "NO KEY UPDATE") is False  # released with the transaction


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lock", [_lock_patient, _orm_lock], ids=["hand_written", "orm"])
def test_a_row_pointing_at_the_patient_does_not_wait_for_the_lock(world: World, lock: object) -> None:
    """A foreign key's KEY SHARE passes (FOR NO KEY UPDATE): a flag, a dose or a check-in of the same person
    commits without waiting for the locker, so neither waits for the other's audit chain head."""
    with transaction.atomic():
        lock(world.alice)  # type: ignore[operator]
        waits = _key_share_waits(world.alice.pk)
    assert waits is False


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_checkin_and_a_flag_raised_at_once_never_deadlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the check-in's old comment claimed ("as every write of this patient's record does ... a flag
    raised") and the code does not hold: a flag raised (`raise_flag`, as a held dose raises it; a dose's own
    row is the same shape) locks no patient row. It inserts a row whose foreign key to the patient is checked
    at commit (a KEY SHARE lock: Django's PostgreSQL foreign keys are DEFERRABLE INITIALLY DEFERRED) after
    its audit row took the program chain's head. A check-in holding the patient FOR UPDATE then waited for
    that head: PostgreSQL aborted one with 'deadlock detected' (a 500). Deterministic: the check-in pauses
    after its lock until the flag's transaction holds the head."""
    from django.utils import timezone

    from keel.patients.flags import raise_flag
    from keel.recovery import services as recovery
    from keel.recovery.schemas import CheckInIn
    from keel.recovery.services import checkins

    locked, flag_audited = threading.Event(), threading.Event()
    # The check-in's patient lock is taken by today's write itself on PostgreSQL (`_save_checkin(lock=True)`,
    # lane perf26); its audit rows wait for the block's end (`audit.deferred`): the pause follows the write.
    real = checkins._save_checkin

    def lock_then_wait(*args: Any, **kwargs: Any) -> Any:
        saved = real(*args, **kwargs)
        locked.set()
        flag_audited.wait(5)
        time.sleep(0.3)  # the flag's transaction reaches its commit
        return saved

    monkeypatch.setattr(checkins, "_save_checkin", lock_then_wait)
    errors: list[str] = []

    def checkin() -> None:
        try:
            body = CheckInIn.posted({"craving": 3, "mood": 4, "used": False, "medication": "taken"})
            recovery.record_checkin(by=world.alice.user, data=body, key="k")
        except Exception as exc:  # reported to the test
            errors.append(f"check-in: {exc!r}"[:160])
        finally:
            connection.close()

    def flag() -> None:
        try:
            locked.wait(5)
            with transaction.atomic():
                raise_flag(
                    by=world.staff["nurse"],
                    patient=world.alice,
                    kind="dose_held",
                    priority=1,
                    reasons=["held"],
                    sources=[],
                    source_type="dose",
                    source_id=1,
                    now=timezone.now(),
                    audit_reason="dose held",
                )
                flag_audited.set()
        except Exception as exc:  # reported to the test
            errors.append(f"flag: {exc!r}"[:160])
        finally:
            connection.close()

    threads = [threading.Thread(target=checkin), threading.Thread(target=flag)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
