"""/healthz reads its answer in one statement (keel.web.health, issue #21): held to the reads it replaced
(`worker_health` and `failed_sends`), at the edges of the stale window and of the 7 days, on both databases;
and /healthz gets every security header a page gets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keel.appointments.models import Appointment, AppointmentSend
from keel.db import prepared
from keel.jobs import queries as jobs_queries
from keel.jobs.models import JobRun, RunStatus, WorkerBeat
from keel.recovery.models import Reminder
from keel.reminders import queries as reminder_queries
from keel.reminders.models import ReminderSend, SendStatus
from keel.web import health
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
STALE = timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS)
WEEK = timedelta(days=7)
EDGES = [timedelta(hours=-1), -WEEK, -WEEK - timedelta(microseconds=1), timedelta(days=-30), None]


@pytest.fixture(autouse=True)
def _no_statement_left_half_known() -> Iterator[None]:
    """Tests here send DEALLOCATE ALL on the shared connection, which drops every statement prepared on it,
    not only the probe: after each, none is on the server and none in this process's record (a later
    module's audited write inside a transaction would meet 26000)."""
    yield
    if connection.vendor == "postgresql" and connection.connection is not None:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        for drivers in prepared._prepared_on.values():
            drivers.discard(connection.connection)


def _spec(now: datetime) -> health.Health:
    worker = jobs_queries.worker_health(now=now)
    return health.Health(
        worker_alive=worker.alive,
        failed_runs=worker.failed_runs,
        failed_reminders=reminder_queries.failed_sends(now=now),
        failed_steps=worker.failed_steps,
        step_failing=worker.step_failing,
    )


@pytest.mark.parametrize(
    "beats",
    [
        [],
        [timedelta(seconds=-5)],
        [-STALE],  # exactly as old as allowed: alive
        [-STALE - timedelta(microseconds=1)],  # just older: down
        [timedelta(days=-2), -STALE - timedelta(seconds=1), timedelta(seconds=30)],  # one in the future
    ],
)
def test_the_worker_is_alive_as_worker_health_says(beats: list[timedelta]) -> None:
    for n, offset in enumerate(beats):
        WorkerBeat.objects.create(worker_id=f"w{n}", seen_at=NOW + offset)
    assert health.probe(now=NOW) == _spec(NOW)


def test_failures_count_as_worker_health_and_failed_sends_count_them(world: World) -> None:
    reminder = Reminder.objects.create(patient=world.alice, kind="medication", at=time(8, 0), created_at=NOW)
    nurse = world.staff["nurse"]
    statuses = [SendStatus.FAILED, SendStatus.SENT, SendStatus.RETRYING]
    for n, offset in enumerate(EDGES):
        for run_status in [RunStatus.FAILED, RunStatus.DONE]:
            JobRun.objects.create(
                job="backup",
                slot=f"slot-{n}-{run_status}",
                scheduled_for=NOW,
                status=run_status,
                finished_at=None if offset is None else NOW + offset,
            )
        for k, status in enumerate(statuses):
            finished = None if offset is None else NOW + offset
            ReminderSend.objects.create(
                reminder=reminder,
                local_date=(NOW + timedelta(days=n * 3 + k)).date(),
                channel="email",
                status=status,
                sent_at=NOW,
                finished_at=finished,
            )
            starts = NOW + timedelta(days=n * 3 + k, hours=1)
            appointment = Appointment.objects.create(
                patient=world.alice,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                kind="counseling",
                created_by=nurse,
                created_at=NOW,
                updated_at=NOW,
            )
            AppointmentSend.objects.create(
                appointment=appointment,
                slot="day_before",
                starts_at=starts,
                channel="email",
                status=status,
                sent_at=NOW,
                finished_at=finished,
            )
    found = health.probe(now=NOW)
    assert found == _spec(NOW)
    assert (found.failed_runs, found.failed_reminders) == (2, 4)  # an hour ago and exactly a week ago
    assert health.probe(now=NOW + timedelta(days=60)) == _spec(NOW + timedelta(days=60))


def test_healthz_is_one_statement() -> None:
    Client().get("/healthz")  # the connection opened, the session table untouched
    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/healthz").status_code == 200
    assert len(queries) == 1, [q["sql"] for q in queries]


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Cache-Control",
    "Pragma",
    "Strict-Transport-Security",
)


@pytest.mark.parametrize("production", [False, True])
def test_healthz_gets_every_security_header_a_page_gets(production: bool) -> None:
    """Every route, /healthz included, goes through the whole middleware list: its security headers are the
    pages' own (with production's HSTS on a secure request too), and it carries a request id."""
    hsts = {"SECURE_HSTS_SECONDS": 31_536_000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True}
    https = {**hsts, "SECURE_HSTS_PRELOAD": True} if production else {}
    with override_settings(**https):
        client = Client()
        page = client.get("/accounts/login/", secure=production)
        probe = client.get("/healthz", secure=production)
        api = client.get("/api/v1/me", secure=production)
    assert page.status_code == 200
    assert probe.status_code == 200
    for name in SECURITY_HEADERS:
        if name == "Strict-Transport-Security" and not production:
            assert name not in page
            assert name not in probe
            continue
        assert probe[name] == page[name] == api[name], name
    assert "preload" in probe["Strict-Transport-Security"] if production else True
    assert re.fullmatch(r"[0-9a-f]{16}", probe["X-Request-ID"])
    assert probe["X-Request-ID"] != page["X-Request-ID"]
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-id-12345")["X-Request-ID"] == "proxy-id-12345"


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the prepared probe is PostgreSQL's"
)


@postgresql_only
def test_on_postgresql_the_probe_is_prepared_once_per_connection() -> None:
    health.probe(now=NOW)  # this connection's first probe prepares it (or finds it prepared)
    with CaptureQueriesContext(connection) as queries:
        health.probe(now=NOW)
    assert [q["sql"].split(" (")[0] for q in queries] == [f"EXECUTE {health.PREPARED_NAME}"]


@postgresql_only
def test_on_postgresql_the_prepared_probe_answers_as_the_plain_statement() -> None:
    WorkerBeat.objects.create(worker_id="w", seen_at=NOW)
    JobRun.objects.create(
        job="backup", slot="s", scheduled_for=NOW, status=RunStatus.FAILED, finished_at=NOW - WEEK
    )
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # a session without it: prepared again
    health._prepared_on.clear()
    assert health.probe(now=NOW) == health.probe(now=NOW) == _spec(NOW)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_that_lost_its_prepared_probe_prepares_it_again() -> None:
    """A pooler's other server session or `DISCARD ALL`: the statement is gone, the probe still answers."""
    health.probe(now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert health.probe(now=NOW) == _spec(NOW)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_session_that_already_has_the_prepared_probe_uses_it() -> None:
    """This process forgot it prepared it (a pooler handing this connection another session that has it)."""
    health.probe(now=NOW)
    health._prepared_on.clear()
    assert health.probe(now=NOW) == _spec(NOW)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_execute_that_reaches_another_session_than_its_prepare_prepares_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review 36k: behind a transaction pooler that does not track prepared statements, the Parse (its own
    round trip) can reach one server session and the Bind the next (26000): the probe prepares it again."""
    original = health._execute_prepared
    sent: list[bool] = []

    def pooled(cursor: Any, driver: Any, values: Any, *, prepare: bool) -> tuple[Any, ...]:
        sent.append(prepare)
        if len(sent) == 1:  # Parse on "session A", then Bind on "session B" that has no such statement
            original(cursor, driver, values, prepare=True)
            cursor.execute("DEALLOCATE ALL")
            return original(cursor, driver, values, prepare=False)
        return original(cursor, driver, values, prepare=prepare)

    health.probe(now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    health._prepared_on.clear()
    monkeypatch.setattr(health, "_execute_prepared", pooled)
    assert (health.probe(now=NOW), sent) == (_spec(NOW), [True, True])


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_healthz_answers_after_the_prepared_probe_is_lost() -> None:
    assert Client().get("/healthz").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert Client().get("/healthz").status_code == 200


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_healthz_replaces_a_connection_the_server_ended() -> None:
    """The probe is the connection's health check (CONN_HEALTH_CHECKS): a kept connection whose server
    session ended (a restart, an idle timeout) is replaced and /healthz answers, as after Django's check."""
    assert Client().get("/healthz").status_code == 200
    ended = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params()) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [ended]).fetchone() == (True,)
    connection.close_if_unusable_or_obsolete()  # a request's start (the test client leaves it out)
    assert Client().get("/healthz").status_code == 200
    assert connection.connection.info.backend_pid != ended


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_probe_that_fails_on_a_working_connection_is_not_sent_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bool] = []

    def failing(*args: object, **kwargs: object) -> None:
        calls.append(True)
        raise DatabaseError("the probe's own error")

    Client().get("/healthz")
    monkeypatch.setattr(health, "_probe_prepared", failing)
    connection.close_if_unusable_or_obsolete()  # a request's start (the test client leaves it out)
    with pytest.raises(DatabaseError):
        health.probe(now=NOW)
    assert calls == [True]


# The worker's step failures (session 18): the worker writes them on its beat row, the probe reads them there
# in its one statement. (seen_at, failed_steps, failing_since) per beat, offsets from NOW.
STEP_BEATS = [
    [(timedelta(seconds=-5), 0, None)],
    [(timedelta(seconds=-5), 3, None)],  # failures now and then: counted, status kept
    [(timedelta(seconds=-5), 1, -STALE)],  # failing on every pass for exactly the stale limit: failing
    [(timedelta(seconds=-5), 1, -STALE + timedelta(microseconds=1))],  # just under it: not yet
    [(-STALE - timedelta(microseconds=1), 9, -WEEK)],  # stopped beating: not counted
    [(timedelta(seconds=-5), 2, None), (-STALE, 4, timedelta(hours=-1)), (timedelta(days=-2), 5, None)],
]


def _beats(beats: list[tuple[timedelta, int, timedelta | None]]) -> None:
    for n, (seen, failed, failing) in enumerate(beats):
        WorkerBeat.objects.create(
            worker_id=f"w{n}",
            seen_at=NOW + seen,
            failed_steps=failed,
            failing_since=None if failing is None else NOW + failing,
        )


@pytest.mark.parametrize("beats", STEP_BEATS)
def test_the_probe_reads_the_workers_step_failures_as_worker_health_says(
    beats: list[tuple[timedelta, int, timedelta | None]],
) -> None:
    _beats(beats)
    assert health.probe(now=NOW) == _spec(NOW)


def test_the_probe_counts_step_failures_of_live_workers() -> None:
    _beats(STEP_BEATS[-1])
    found = health.probe(now=NOW)
    assert (found.failed_steps, found.step_failing) == (6, True)


@pytest.mark.parametrize(
    ("failing", "status"),
    [(None, "ok"), (-STALE + timedelta(seconds=1), "ok"), (-STALE, "degraded"), (-WEEK, "degraded")],
)
def test_healthz_reports_failed_steps_and_degrades_only_for_a_step_that_keeps_failing(
    failing: timedelta | None, status: str
) -> None:
    now = timezone.now()
    WorkerBeat.objects.create(
        worker_id="w",
        seen_at=now,
        failed_steps=2,
        failing_since=None if failing is None else now + failing,
    )
    Client().get("/healthz")  # the connection opened, the session table untouched
    with CaptureQueriesContext(connection) as queries:
        answer = Client().get("/healthz")
    assert len(queries) == 1  # still the one statement
    assert answer.status_code == 200
    assert answer.json() == {
        "status": status,
        "database": "ok",
        "worker": "ok",
        "failed_jobs": 0,
        "failed_reminders": 0,
        "failed_steps": 2,
    }
