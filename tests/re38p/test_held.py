"""Held (re38p): the prepared check-in statements (keel.db.prepared, session 38) stay inside the Django
transaction they belong to, on the real PostgreSQL: an ORM statement first, a rollback, a savepoint,
on_commit, a terminated backend mid-transaction, concurrent check-ins of one person and one program (the
audit chain verifies after), and parameters of every shape."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from keel.db import rows
from tests.factories import pinned_at_last_five_pm_utc

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="protocol-level: PostgreSQL's")

MAKE_HEAD = (
    'INSERT INTO "audit_auditchainhead" ("id", "last_event_id", "last_hash") '
    'VALUES (%s, 0, %s) RETURNING "id"'
)
HEAD = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = %s'
ECHO = "SELECT %s::text, %s::timestamptz, %s::text"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _make_head(chain_id: int, text: str = "genesis") -> None:
    with connection.cursor() as cursor:
        rows.execute(cursor, MAKE_HEAD, [chain_id, text], prepared=True)


def _seen_by_another(chain_id: int) -> bool:
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        found = other.execute('SELECT 1 FROM "audit_auditchainhead" WHERE "id" = %s', [chain_id]).fetchone()
    return found is not None


def _warm() -> None:
    """The statements prepared on this connection (finding 1 aside: their first run succeeds)."""
    _make_head(990_300)


@pytest.mark.django_db(transaction=True)
def test_an_orm_statement_first_then_a_prepared_one_roll_back_together() -> None:
    _warm()
    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute('INSERT INTO "audit_auditchainhead" VALUES (990301, 0, %s)', ["orm"])
        _make_head(990_302)
        raise RuntimeError("an exception between statements")
    assert (_seen_by_another(990_301), _seen_by_another(990_302)) == (False, False)


@pytest.mark.django_db(transaction=True)
def test_a_prepared_first_statement_and_a_later_orm_one_commit_together() -> None:
    _warm()
    ran: list[bool] = []
    with transaction.atomic():
        _make_head(990_303)
        transaction.on_commit(lambda: ran.append(_seen_by_another(990_303)))
        assert _seen_by_another(990_303) is False  # not yet committed: inside the transaction
        with connection.cursor() as cursor:
            cursor.execute('INSERT INTO "audit_auditchainhead" VALUES (990304, 0, %s)', ["orm"])
    assert (ran, _seen_by_another(990_304)) == ([True], True)


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statements_error_in_a_savepoint_keeps_the_outer_write() -> None:
    _warm()
    with transaction.atomic():
        _make_head(990_305)
        with pytest.raises(IntegrityError), transaction.atomic():
            _make_head(990_305)  # a duplicate: the savepoint rolls back
        _make_head(990_306)
    assert (_seen_by_another(990_305), _seen_by_another(990_306)) == (True, True)


@pytest.mark.django_db(transaction=True)
def test_a_statement_after_a_swallowed_error_in_an_atomic_block_is_refused_as_the_orms() -> None:
    _warm()
    with pytest.raises(DatabaseError, match="current transaction is aborted"), transaction.atomic():
        with pytest.raises(IntegrityError):
            _make_head(990_300)
        _make_head(990_307)
    assert _seen_by_another(990_307) is False


@pytest.mark.django_db(transaction=True)
def test_a_backend_terminated_mid_transaction_commits_nothing_and_the_next_request_reconnects() -> None:
    _warm()
    with pytest.raises(DatabaseError), transaction.atomic():
        _make_head(990_308)
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s, 5000)", [connection.connection.info.backend_pid])
        _make_head(990_309)
    connection.close_if_unusable_or_obsolete()
    _make_head(990_310)
    assert [_seen_by_another(n) for n in (990_308, 990_309, 990_310)] == [False, False, True]


@pytest.mark.django_db(transaction=True)
def test_parameters_of_every_shape_come_back_as_sent() -> None:
    at = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    long = "x" * 1_000_000
    with connection.cursor() as cursor:
        found = rows.execute(cursor, ECHO, [None, at, long], prepared=True)
    assert found == [(None, at, long)]


def _people() -> tuple[Any, Any, Any, Any]:
    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.patients.models import Patient

    program = Program.objects.create(slug="re38p", name="Re38p")
    made = []
    for name in ("ana", "ben"):
        user, _ = accounts.create_user(
            username=f"re38p-{name}", role="patient", password="re38p password 12345", program_slug="re38p"
        )
        patient = Patient.objects.create(
            program=program,
            user=user,
            record_number=name,
            given_name=name,
            family_name="R",
            date_of_birth=date(1990, 1, 1),
        )
        made += [user, patient]
    return made[0], made[1], made[2], made[3]


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkins_of_one_person_and_one_program_keep_one_row_a_day_and_a_whole_chain() -> None:
    from keel.audit.services import verify_chain
    from keel.recovery import services
    from keel.recovery.models import CheckIn, IdempotencyKey
    from keel.recovery.schemas import CheckInIn

    ana, ana_record, ben, ben_record = _people()
    connection.close()
    raw = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}
    errors: list[str] = []
    barrier = threading.Barrier(6)

    def one(user: Any, key: str) -> None:
        try:
            barrier.wait()
            services.record_checkin(by=user, data=CheckInIn.posted(raw), key=key)
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    asked = [(ana, "same"), (ana, "same"), (ana, "own"), (ben, "b1"), (ben, "b2"), (ben, "b3")]
    threads = [threading.Thread(target=one, args=pair) for pair in asked]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = [CheckIn.objects.filter(patient=p).count() for p in (ana_record, ben_record)]
    keys = IdempotencyKey.objects.count()
    assert (errors, counts, keys, verify_chain().ok) == ([], [1, 1], 5, True)
