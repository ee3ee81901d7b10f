"""Scheduled jobs on django-tasks' database queue: one run per slot whatever the number of schedulers, a
failed attempt retried and, after the last, reported; the real jobs (silence scan, audit verification,
backups with a retention count); the worker's heartbeat in /healthz. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from keel.jobs import queries, services
from keel.jobs.models import JobRun, RunStatus, WorkerBeat
from keel.jobs.schedule import Daily

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 10:00 in New York: every daily slot of the 10th is due
CALLS: list[str] = []
SECRET = "patient Alice Example could not be reached"  # an exception message that must not leak


def _ok(run: JobRun) -> str:
    CALLS.append(run.slot)
    return "1 thing done"


def _flaky(run: JobRun) -> str:
    CALLS.append(run.slot)
    if run.attempts < 2:
        raise ConnectionError(SECRET)
    return "done on the second attempt"


def _broken(run: JobRun) -> str:
    CALLS.append(run.slot)
    raise ConnectionError(SECRET)


def _jobs(run: Any) -> dict[str, services.Job]:
    return {"test_job": services.Job(Daily("test_job", time(6, 0)), run)}


@pytest.fixture(autouse=True)
def _fresh() -> Any:
    CALLS.clear()
    yield
    CALLS.clear()


def _work(jobs: dict[str, services.Job], monkeypatch: pytest.MonkeyPatch) -> None:
    """What `keel worker --once` does, with the test's jobs in place of the real ones."""
    monkeypatch.setattr(services, "JOBS", jobs)
    call_command("worker", "--once")


def test_a_slot_is_queued_once_however_often_the_scheduler_looks() -> None:
    jobs = _jobs(_ok)
    first = services.schedule_due(now=NOW, jobs=jobs)
    second = services.schedule_due(now=NOW + timedelta(minutes=5), jobs=jobs)
    assert len(first) == 1
    assert second == []
    assert DBTaskResult.objects.count() == 1


def test_the_database_refuses_a_second_run_of_a_slot() -> None:
    from django.db import IntegrityError, transaction

    JobRun.objects.create(job="test_job", slot="2026-06-10", scheduled_for=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobRun.objects.create(job="test_job", slot="2026-06-10", scheduled_for=NOW)


def test_a_scheduler_that_loses_the_race_queues_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another worker inserts the run between this scheduler's check and its insert.
    JobRun.objects.create(job="test_job", slot="2026-06-10", scheduled_for=NOW)
    monkeypatch.setattr(
        JobRun.objects, "filter", lambda **kw: JobRun.objects.none()
    )  # the check sees nothing
    assert services.schedule_due(now=NOW, jobs=_jobs(_ok)) == []
    assert DBTaskResult.objects.count() == 0


def test_the_worker_runs_a_slot_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with time_machine.travel(NOW, tick=False):
        _work(_jobs(_ok), monkeypatch)
        _work(_jobs(_ok), monkeypatch)
        run = JobRun.objects.get()
    assert CALLS == ["2026-06-10"]
    assert run.status == RunStatus.DONE
    assert run.summary == "1 thing done"


def test_the_next_day_is_a_new_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    with time_machine.travel(NOW, tick=False):
        _work(_jobs(_ok), monkeypatch)
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        _work(_jobs(_ok), monkeypatch)
    assert CALLS == ["2026-06-10", "2026-06-11"]


def test_a_queued_run_is_never_executed_twice() -> None:
    run = services.schedule_due(now=NOW, jobs=_jobs(_ok))[0]
    services.execute(run.pk, jobs=_jobs(_ok))
    assert services.execute(run.pk, jobs=_jobs(_ok)) == "skipped: not queued"
    assert CALLS == ["2026-06-10"]


def test_a_failed_attempt_is_retried_after_its_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    with time_machine.travel(NOW, tick=False):
        _work(_jobs(_flaky), monkeypatch)
        run = JobRun.objects.get()
        assert run.status == RunStatus.RETRYING
        _work(_jobs(_flaky), monkeypatch)  # not yet: the retry waits a minute
        assert CALLS == ["2026-06-10"]
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        _work(_jobs(_flaky), monkeypatch)
        run.refresh_from_db()
    assert CALLS == ["2026-06-10", "2026-06-10"]
    assert run.status == RunStatus.DONE
    assert run.attempts == 2


def test_a_run_that_keeps_failing_is_reported_without_its_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for minutes in (0, 2, 15, 60):
        with time_machine.travel(NOW + timedelta(minutes=minutes), tick=False):
            _work(_jobs(_broken), monkeypatch)
    run = JobRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.attempts == 3
    assert run.last_error == "ConnectionError"
    assert len(CALLS) == 3
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "keel.jobs"]
    assert "FAILED after 3 attempts" in errors[0].getMessage()
    from keel.web.middleware import PhiSafeFormatter

    logged = "".join(PhiSafeFormatter("%(message)s").format(r) for r in caplog.records)  # as Keel logs
    assert "Alice" not in logged
    assert not DBTaskResult.objects.filter(exception_class_path__contains="ConnectionError").exists()
    assert "Alice" not in "".join(DBTaskResult.objects.values_list("traceback", flat=True))


def test_healthz_reports_a_failed_run(monkeypatch: pytest.MonkeyPatch) -> None:
    run = JobRun.objects.create(
        job="backup", slot="2026-06-09", scheduled_for=NOW, status=RunStatus.FAILED, finished_at=NOW
    )
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        body = Client().get("/healthz").json()
    assert run.pk
    assert body["failed_jobs"] == 1
    assert body["status"] == "degraded"


def test_healthz_says_the_worker_is_down_when_none_beat() -> None:
    body = Client().get("/healthz").json()
    assert body["worker"] == "down"


def test_healthz_says_the_worker_is_alive_after_a_beat() -> None:
    services.beat("w1")
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "worker": "ok",
        "failed_jobs": 0,
        "failed_reminders": 0,
        "failed_steps": 0,
    }


def test_a_stale_beat_is_a_dead_worker(settings: Any) -> None:
    services.beat("w1", now=NOW)
    with time_machine.travel(NOW + timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS + 1), tick=False):
        assert Client().get("/healthz").json()["worker"] == "down"


def test_the_worker_removes_its_beat_when_it_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    _work(_jobs(_ok), monkeypatch)
    assert WorkerBeat.objects.count() == 0


def test_the_worker_refuses_a_bad_interval() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--interval"):
        call_command("worker", "--interval", "0")


# --- The real jobs ---------------------------------------------------------------------------------


def test_the_silence_scan_runs_as_a_job(monkeypatch: pytest.MonkeyPatch) -> None:
    from keel.recovery import services as recovery

    monkeypatch.setattr(recovery, "scan_for_silence", lambda now: 2)
    run = JobRun.objects.create(job="silence_scan", slot="2026-06-10", scheduled_for=NOW)
    assert services.execute(run.pk) == "2 silence flag(s) raised"


def test_the_audit_verification_fails_on_a_broken_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    from keel.audit.services import checkpoints

    class Report:
        ok, first_broken_id, checked, problem = False, 7, 6, "hash mismatch"

    monkeypatch.setattr(checkpoints, "verify_chain", lambda: Report())
    run = JobRun.objects.create(job="audit_checkpoint", slot="2026-06-10", scheduled_for=NOW)
    with pytest.raises(services.JobAttemptFailed, match="AuditChainBroken"):
        services.execute(run.pk)


def test_the_audit_checkpoint_is_appended_outside_the_database(tmp_path: Path, settings: Any) -> None:
    settings.KEEL_AUDIT_CHECKPOINT_FILE = tmp_path / "checkpoints.jsonl"
    for day in (9, 10):
        run = JobRun.objects.create(job="audit_checkpoint", slot=f"2026-06-{day:02d}", scheduled_for=NOW)
        services.execute(run.pk)
    lines = (tmp_path / "checkpoints.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert "signature" in json.loads(lines[-1])


def test_backups_keep_the_newest_n(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from keel.db import backup

    settings.KEEL_BACKUP_DIR = tmp_path
    settings.KEEL_BACKUP_KEEP = 2
    monkeypatch.setattr(backup, "create", lambda path: path.write_bytes(b"x") or 1)
    (tmp_path / "notes.txt").write_text("not ours")
    for day in (7, 8, 9, 10):
        run = JobRun.objects.create(job="backup", slot=f"2026-06-{day:02d}", scheduled_for=NOW)
        services.execute(run.pk)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "keel-2026-06-09.backup",
        "keel-2026-06-10.backup",
        "notes.txt",
    ]


def test_a_backup_retry_does_not_write_the_file_twice(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keel.db import backup

    settings.KEEL_BACKUP_DIR = tmp_path
    written: list[Path] = []
    monkeypatch.setattr(backup, "create", lambda path: written.append(path) or 1)
    (tmp_path / "keel-2026-06-10.backup").write_bytes(b"already there")
    run = JobRun.objects.create(job="backup", slot="2026-06-10", scheduled_for=NOW)
    services.execute(run.pk)
    assert written == []


def test_two_workers_at_once_run_each_slot_once(tmp_path: Path) -> None:
    """Two `keel worker --once` processes started together on one database (a file of its own, or a
    PostgreSQL database of its own): every job's slot runs once, and the backup job really writes a backup
    (SQLite's online backup, or pg_dump) and keeps KEEL_BACKUP_KEEP of them."""
    import os
    import subprocess
    import sys

    from tests.own_databases import own_databases

    with own_databases(tmp_path, "jobs") as (url,):
        env = dict(
            os.environ,
            KEEL_DATABASE_URL=url,
            KEEL_DATA_DIR=str(tmp_path),
            KEEL_BACKUP_DIR=str(tmp_path / "backups"),
            KEEL_BACKUP_KEEP="1",
        )
        keel = str(Path(sys.executable).parent / "keel")
        subprocess.run([keel, "migrate", "--no-input", "-v", "0"], env=env, check=True, timeout=300)
        (tmp_path / "backups").mkdir()
        (tmp_path / "backups" / "keel-2000-01-01.backup").write_bytes(b"an old one")
        workers = [
            subprocess.Popen(
                [keel, "worker", "--once"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        for worker in workers:
            _, err = worker.communicate(timeout=180)
            assert worker.returncode == 0, err[-2000:]
        names = [p.name for p in (tmp_path / "backups").iterdir()]
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django,json; django.setup()\n"
                "from keel.jobs.models import JobRun\n"
                "from django_tasks_db.models import DBTaskResult\n"
                "print(json.dumps([sorted((r.job, r.status, r.attempts) for r in JobRun.objects.all()),"
                " sorted(DBTaskResult.objects.values_list('status', flat=True))]))",
            ],
            env=dict(env, DJANGO_SETTINGS_MODULE="keel.settings"),
            capture_output=True,
            text=True,
            check=True,
        )
    runs, tasks = json.loads(check.stdout.strip().splitlines()[-1])
    assert runs == [["audit_checkpoint", "done", 1], ["backup", "done", 1], ["silence_scan", "done", 1]]
    assert tasks == ["SUCCESSFUL"] * 3
    assert len(names) == 1
    assert names[0] != "keel-2000-01-01.backup"


def _orm_worker_health(now: datetime) -> tuple[datetime | None, int]:
    newest = WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    failed = JobRun.objects.filter(status=RunStatus.FAILED, finished_at__gte=now - timedelta(days=7)).count()
    return newest, failed


@pytest.mark.parametrize(
    "beats, runs",
    [
        ([], []),
        ([timedelta(seconds=-5)], []),
        ([timedelta(days=-2), timedelta(minutes=-1), timedelta(hours=-1)], []),
        (
            [timedelta(seconds=-1)],
            [
                (RunStatus.FAILED, timedelta(days=-1)),
                (RunStatus.FAILED, timedelta(days=-7)),  # exactly 7 days ago: counted
                (RunStatus.FAILED, timedelta(days=-7, microseconds=-1)),  # just before: not counted
                (RunStatus.FAILED, None),
                (RunStatus.DONE, timedelta(hours=-1)),
            ],
        ),
    ],
)
def test_worker_health_matches_the_orm(
    beats: list[timedelta], runs: list[tuple[str, timedelta | None]]
) -> None:
    """The hand-written worker_health answers exactly as the two ORM queries it replaced (issue #21)."""
    for n, offset in enumerate(beats):
        WorkerBeat.objects.create(worker_id=f"w{n}", seen_at=NOW + offset)
    for n, (status, offset) in enumerate(runs):
        JobRun.objects.create(
            job="backup",
            slot=f"slot-{n}",
            scheduled_for=NOW,
            status=status,
            finished_at=None if offset is None else NOW + offset,
        )
    health = queries.worker_health(now=NOW)
    assert (health.last_seen, health.failed_runs) == _orm_worker_health(NOW)
