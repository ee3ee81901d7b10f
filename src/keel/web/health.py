"""What /healthz reports, read in one statement (issue #21).

A probe runs this on every check, so it is one round trip: whether a worker beat recently, the scheduled
runs and the reminder sends (appointment reminders included) that failed in the last 7 days. Its answers
are those of `keel.jobs.services.worker_health` and `keel.reminders.queries.failed_sends`, which stay the
spec (tests/web/test_health.py holds the two to each other on SQLite and PostgreSQL). The statement reads
the tables, so it answering at all is the database check `SELECT 1` was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Health:
    worker_alive: bool
    failed_runs: int
    failed_reminders: int


@cache
def _statement() -> str:
    from keel.appointments.models import AppointmentSend
    from keel.jobs.models import JobRun, WorkerBeat
    from keel.reminders.models import ReminderSend

    failed = 'SELECT COUNT(*) FROM "{}" WHERE "status" = %s AND "finished_at" >= %s'
    # Table names from model metadata, never input; values are parameters.
    return (
        f'SELECT EXISTS (SELECT 1 FROM "{WorkerBeat._meta.db_table}" WHERE "seen_at" >= %s), '  # noqa: S608 # nosec B608
        f"({failed.format(JobRun._meta.db_table)}), "
        f"({failed.format(ReminderSend._meta.db_table)}), "
        f"({failed.format(AppointmentSend._meta.db_table)})"
    )


@cache
def _failed() -> tuple[str, str]:
    from keel.jobs.models import RunStatus
    from keel.reminders.models import SendStatus

    return RunStatus.FAILED.value, SendStatus.FAILED.value


def _prep(value: datetime) -> Any:
    """What the DateTimeField `finished_at` sends the database for an aware datetime (its
    `get_db_prep_value`: `to_python` leaves a datetime as it is, then the backend's adaptation), without
    looking the field up on every probe."""
    if timezone.is_naive(value):  # the field's path: it warns and makes it aware (never taken by probe())
        from keel.jobs.models import JobRun

        return JobRun._meta.get_field("finished_at").get_db_prep_value(value, connection)
    return connection.ops.adapt_datetimefield_value(value)


def probe(*, now: datetime | None = None) -> Health:
    """A worker is alive when one beat within KEEL_WORKER_STALE_SECONDS (`worker_health`'s rule: the newest
    beat is at most that old); failures count from exactly 7 days ago."""
    run_failed, send_failed = _failed()
    now = now or timezone.now()
    stale = _prep(now - timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS))
    since = _prep(now - WINDOW)
    with connection.cursor() as cursor:
        cursor.execute(_statement(), [stale, run_failed, since, send_failed, since, send_failed, since])
        alive, runs, reminders, appointments = cursor.fetchone()
    return Health(
        worker_alive=bool(alive), failed_runs=int(runs), failed_reminders=int(reminders) + int(appointments)
    )
