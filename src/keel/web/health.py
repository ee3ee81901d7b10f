"""What /healthz reports, read in one statement (issue #21).

A probe runs this on every check, so it is one round trip: whether a worker beat recently, the scheduled
runs and the reminder sends (appointment reminders included) that failed in the last 7 days, and the live
workers' loop steps that failed (the worker writes them on its beat row). Its answers
are those of `keel.jobs.queries.worker_health` and `keel.reminders.queries.failed_sends`, which stay the
spec (tests/web/test_health.py holds the two to each other on SQLite and PostgreSQL). The statement reads
the tables, so it answering at all is the database check `SELECT 1` was.

On PostgreSQL the statement is prepared once per connection (the protocol's Parse, a round trip of its own):
planning its four subqueries was most of the database's time per probe, about 0.17 ms of server CPU against
0.02 ms to execute it (bench/HISTORY.md); each probe then sends Bind and Execute with its parameters apart,
so the backend parses no statement text (session 36). A connection that lost the prepared statement (a pooler
handing over another server session, `DISCARD ALL`) has it prepared again; a pooler's next server session
may have it already, and is sent the EXECUTE alone (three attempts in all) before the probe fails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, cast

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone
from psycopg import postgres
from psycopg.rows import TupleRow

from keel.db import prepared
from keel.db.params import SQLParam

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Health:
    worker_alive: bool
    failed_runs: int
    failed_reminders: int
    failed_steps: int = 0  # the live workers' loop steps failed in the last 24 hours (their beat rows)
    step_failing: bool = False  # a live worker's step has failed on every pass for the stale limit or longer


@cache
def _statement() -> str:
    from keel.appointments.models import AppointmentSend
    from keel.jobs.models import JobRun, WorkerBeat
    from keel.reminders.models import ReminderSend

    failed = 'SELECT COUNT(*) FROM "{}" WHERE "status" = %s AND "finished_at" >= %s'
    beats = WorkerBeat._meta.db_table
    # Table names from model metadata, never input; values are parameters. The live workers' beat rows also
    # carry their step failures (written by the worker: /healthz cannot see its process): their sum, and
    # whether a step has failed on every pass since the stale limit or longer (`failing_since` <= it).
    return (
        f'SELECT EXISTS (SELECT 1 FROM "{beats}" WHERE "seen_at" >= %s), '  # noqa: S608 # nosec B608
        f"({failed.format(JobRun._meta.db_table)}), "
        f"({failed.format(ReminderSend._meta.db_table)}), "
        f"({failed.format(AppointmentSend._meta.db_table)}), "
        f'(SELECT COALESCE(SUM("failed_steps"), 0) FROM "{beats}" WHERE "seen_at" >= %s), '
        f'EXISTS (SELECT 1 FROM "{beats}" WHERE "seen_at" >= %s AND "failing_since" <= %s)'
    )


# Named for the statement's shape: a pooler's server session may keep an older probe's prepared statement
# (four columns, before the worker's step failures) across a deploy; a new name never meets it.
PREPARED_NAME = "keel_health_probe_steps"

# The driver connections (psycopg's, one per Django connection and reconnection) this process prepared the
# probe on (`keel.db.prepared`'s record); a new connection is not in it, a closed one leaves it when
# collected.
_prepared_on = prepared.prepared_on(PREPARED_NAME)


@cache
def _numbered() -> str:
    """`_statement()` with numbered parameters: $1 the stale limit, $2 the 7 days' start, $3 a failed run's
    status, $4 a failed send's (typed by `_TYPES`, as the columns compare them)."""
    # _statement()'s parameters, in its order
    numbered = iter(["$1", "$3", "$2", "$4", "$2", "$4", "$2", "$1", "$1", "$1"])
    return _statement().replace("%s", "{}").format(*numbered)


_TYPES = [postgres.types["timestamptz"].oid] * 2 + [postgres.types["text"].oid] * 2


def _text(value: SQLParam) -> bytes:
    """A parameter in PostgreSQL's text format: an aware datetime as ISO 8601 with its offset (read as the
    timestamptz it is declared), a status as itself."""
    return (value.isoformat() if isinstance(value, datetime) else str(value)).encode()


def _execute_prepared(
    cursor: CursorWrapper, driver: psycopg.Connection[TupleRow], values: list[SQLParam], *, prepare: bool
) -> tuple[Any, ...]:
    """The probe as a protocol-level prepared statement (`keel.db.prepared.send`: Bind and Execute of
    `PREPARED_NAME`, its parameters sent apart from the text): PostgreSQL parses no statement per probe,
    where a simple-query `EXECUTE name ('...'::timestamptz, ...)` was parsed and its literals cast every time
    (bench/HISTORY.md, session 36)."""
    params = [_text(value) for value in values]
    # Django's query log sees it as the EXECUTE it is (tests count /healthz's statements).
    shown = f"EXECUTE {PREPARED_NAME} ({', '.join(repr(p.decode()) for p in params)})"
    result = prepared.send(
        cursor, driver, PREPARED_NAME, _numbered(), params, prepare=prepare, shown=lambda: shown, types=_TYPES
    )
    alive, runs, reminders, appointments, steps, failing = (result.get_value(0, n) or b"" for n in range(6))
    return alive == b"t", int(runs), int(reminders), int(appointments), int(steps), failing == b"t"


class _HealthChecked(Protocol):
    """Django's connection wrapper's health check state (BaseDatabaseWrapper, not in its stubs)."""

    health_check_enabled: bool
    health_check_done: bool


def _run_prepared(db: BaseDatabaseWrapper, values: list[SQLParam]) -> tuple[Any, ...]:
    """The probe on this request's connection, the probe being the connection's health check: Django's
    (CONN_HEALTH_CHECKS) sends `SELECT 1` before a request's first statement and, when it fails, replaces the
    connection; here the probe goes first, and when it fails on a connection that no longer works (the
    check run then), the connection is replaced and the probe sent again. Same outcome, one round trip
    fewer per probe (bench/HISTORY.md, session 36). Inside a transaction, or with the check already done,
    Django's own path."""
    checked = cast("_HealthChecked", db)
    check_here = (
        db.connection is not None
        and checked.health_check_enabled
        and not checked.health_check_done
        and not db.in_atomic_block
    )
    if not check_here:
        return _probe_prepared(db, values)
    checked.health_check_done = True
    try:
        return _probe_prepared(db, values)
    except DatabaseError:
        if db.is_usable():  # the connection works: the probe's own error
            raise
    db.close()  # what Django's check does with a connection that fails it
    return _probe_prepared(db, values)


def _probe_prepared(db: BaseDatabaseWrapper, values: list[SQLParam]) -> tuple[Any, ...]:
    """The probe, prepared once per connection and sent again as `keel.db.prepared.run` says (a pooler's
    sessions: review 13b, review 36k)."""
    with db.cursor() as cursor:  # Django's: connection, error wrapping, query log
        return prepared.run(
            cursor,
            PREPARED_NAME,
            lambda cursor, driver, prepare: _execute_prepared(cursor, driver, values, prepare=prepare),
        )


@cache
def _failed() -> tuple[str, str]:
    from keel.jobs.models import RunStatus
    from keel.reminders.models import SendStatus

    return RunStatus.FAILED.value, SendStatus.FAILED.value


def _prep(db: BaseDatabaseWrapper, value: datetime) -> SQLParam:
    """What the DateTimeField `finished_at` sends the database for an aware datetime (its
    `get_db_prep_value`: `to_python` leaves a datetime as it is, then the backend's adaptation), without
    looking the field up on every probe."""
    if timezone.is_naive(value):  # the field's path: it warns and makes it aware (never taken by probe())
        from keel.jobs.models import JobRun

        prepared: SQLParam = JobRun._meta.get_field("finished_at").get_db_prep_value(value, db)
        return prepared
    return db.ops.adapt_datetimefield_value(value)


def probe(*, now: datetime | None = None) -> Health:
    """A worker is alive when one beat within KEEL_WORKER_STALE_SECONDS (`worker_health`'s rule: the newest
    beat is at most that old); failures count from exactly 7 days ago."""
    run_failed, send_failed = _failed()
    now = now or timezone.now()
    # This thread's connection, looked up once: each `connection.<name>` is a lookup in a thread-and-task
    # local store (asgiref's Local, a lock and a context check), four of them per probe before.
    db = connections[DEFAULT_DB_ALIAS]
    stale = _prep(db, now - timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS))
    since = _prep(db, now - WINDOW)
    if db.vendor == "postgresql":
        alive, runs, reminders, appointments, steps, failing = _run_prepared(
            db, [stale, since, run_failed, send_failed]
        )
    else:
        with db.cursor() as cursor:
            cursor.execute(
                _statement(),
                [stale, run_failed, since, send_failed, since, send_failed, since, stale, stale, stale],
            )
            alive, runs, reminders, appointments, steps, failing = cursor.fetchone()
    return Health(
        worker_alive=bool(alive),
        failed_runs=int(runs),
        failed_reminders=int(reminders) + int(appointments),
        failed_steps=int(steps),
        step_failing=bool(failing),
    )
