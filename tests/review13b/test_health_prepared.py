"""Review 13b: /healthz's statement prepared once per PostgreSQL connection (`keel.web.health`), attacked:
a server session that lost it (DISCARD ALL, DEALLOCATE: what a pooler hands over), a transaction that
rolled back its PREPARE, a failed transaction, a reconnect, a stale worker; and what the 503 says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from keel.jobs.models import JobRun, RunStatus, WorkerBeat
from keel.web import health

pytestmark = pytest.mark.django_db(transaction=True)


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the prepared statement is PostgreSQL's")


def _answer() -> Any:
    return Client().get("/healthz")


def test_a_server_session_reset_by_discard_all_still_answers() -> None:
    """A pooler hands the connection a server session without the statement (DISCARD ALL): 200, not 503."""
    _postgresql_only()
    assert _answer().status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")
    assert _answer().status_code == 200


def test_a_deallocated_statement_is_prepared_again() -> None:
    _postgresql_only()
    health.probe()
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE {health.PREPARED_NAME}")
    assert health.probe() == health.probe()


def test_a_statement_already_prepared_by_an_earlier_client_of_the_session_is_used() -> None:
    """A new client connection handed a server session that already has it (42P05 on PREPARE)."""
    _postgresql_only()
    health.probe()
    health._prepared_on.discard(connection.connection)
    assert health.probe().worker_alive is False


def test_a_prepare_rolled_back_with_its_transaction_does_not_break_the_next_probe_in_one() -> None:
    """The first probe of a connection ran inside a transaction that rolled back. A later probe inside a
    transaction (where no retry is possible) must still answer: either PREPARE survived the rollback or the
    connection is not counted as prepared."""
    _postgresql_only()
    with pytest.raises(RuntimeError), transaction.atomic():
        health.probe()
        raise RuntimeError("roll back")
    with transaction.atomic():
        assert health.probe().failed_runs == 0


def test_a_reconnect_prepares_again() -> None:
    _postgresql_only()
    health.probe()
    connection.close()
    assert _answer().status_code == 200


def test_a_probe_in_a_failed_transaction_raises_rather_than_answers() -> None:
    _postgresql_only()
    with transaction.atomic():
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        with pytest.raises(DatabaseError):
            health.probe()
        transaction.set_rollback(True)


def test_the_503_names_nothing_of_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database fails: 503 and only {status, database}, no exception text, no SQL."""

    def broken(**_kw: Any) -> Any:
        raise DatabaseError('relation "jobs_jobrun" does not exist; password=hunter2')

    monkeypatch.setattr(health, "probe", broken)
    r = _answer()
    assert (r.status_code, r.json()) == (503, {"status": "error", "database": "error"})


def test_a_stale_worker_and_failures_answer_as_the_unprepared_statement() -> None:
    """A beat just past the stale limit (down), one exactly at it (alive), a failed run exactly 7 days old
    (counted) and one a second older (not): the prepared answer is the plain statement's."""
    now = timezone.now()
    stale = timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS)
    WorkerBeat.objects.create(worker_id="w-old", seen_at=now - stale - timedelta(seconds=1))
    for age in (timedelta(days=7), timedelta(days=7, seconds=1)):
        JobRun.objects.create(
            job="j",
            slot=str(age),
            scheduled_for=now - age,
            status=RunStatus.FAILED,
            finished_at=now - age,
        )
    first = health.probe(now=now)
    WorkerBeat.objects.create(worker_id="w-edge", seen_at=now - stale)
    second = health.probe(now=now)
    assert (first.worker_alive, first.failed_runs, second.worker_alive) == (False, 1, True)


def test_a_pooler_alternating_server_sessions_does_not_make_the_probe_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review 13b (low; fixed): behind a transaction pooler (PgBouncer, transaction mode) each statement may
    land on another server session: EXECUTE on one without the statement (26000), then PREPARE on one that
    has it (42P05). It was retried only once, so the probe answered 503 while the pool warmed up. Emulated
    on one session for the first two statements: before the EXECUTE alone the statement is dropped, before
    the PREPARE it is made; the third lands as it is."""
    _postgresql_only()
    health.probe()  # this connection is counted as prepared
    real = health._execute_prepared
    calls: list[bool] = []

    # Set-up only, session 37: perf36 (session 36) made the probe a protocol-level prepared statement, so
    # `_execute_prepared` takes the driver connection too and the SQL `_prepare()` is gone; the statement is
    # made here by SQL's PREPARE with the same name, text and types (one name space).
    made = f"PREPARE {health.PREPARED_NAME} (timestamptz, timestamptz, text, text) AS {health._numbered()}"

    def pooled(cursor: Any, driver: Any, values: list[Any], *, prepare: bool) -> Any:
        calls.append(prepare)
        if len(calls) <= 2:
            with connection.cursor() as other:
                other.execute(made if prepare else f"DEALLOCATE {health.PREPARED_NAME}")
        return real(cursor, driver, values, prepare=prepare)

    monkeypatch.setattr(health, "_execute_prepared", pooled)
    assert (_answer().status_code, calls) == (200, [False, True, False])
