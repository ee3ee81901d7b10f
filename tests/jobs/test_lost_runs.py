"""A worker killed mid-job (issue #19): its run must not stay "running" forever. Past the lease, with its
worker no longer beating, the run counts as a failed attempt: retried, then reported."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from keel.jobs import services
from keel.jobs.models import JobRun, RunStatus, WorkerBeat
from keel.jobs.schedule import MAX_ATTEMPTS, Daily

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 10:00 in New York: the 06:00 slot of the 10th is due
CALLS: list[str] = []


def _ok(run: JobRun) -> str:
    CALLS.append(run.slot)
    return "done"


JOBS = {"test_job": services.Job(Daily("test_job", time(6, 0)), _ok)}


@pytest.fixture(autouse=True)
def _fresh(settings: Any) -> Any:
    settings.KEEL_JOB_LEASE_SECONDS = 3600
    settings.KEEL_WORKER_STALE_SECONDS = 300
    CALLS.clear()
    yield
    CALLS.clear()


def _running(*, started: datetime, worker: str = "dead-worker", attempts: int = 1) -> JobRun:
    """A run as a killed worker left it: claimed, started, never finished."""
    return JobRun.objects.create(
        job="test_job",
        slot="2026-06-10",
        scheduled_for=NOW - timedelta(hours=4),
        status=RunStatus.RUNNING,
        attempts=attempts,
        started_at=started,
        claimed_by=worker,
    )


def test_a_run_past_its_lease_whose_worker_is_gone_is_retried() -> None:
    run = _running(started=NOW - timedelta(hours=2))
    services.recover_lost_runs(now=NOW)
    run.refresh_from_db()
    assert run.status == RunStatus.RETRYING


def test_a_recovered_run_names_the_lost_worker_as_its_error() -> None:
    run = _running(started=NOW - timedelta(hours=2))
    services.recover_lost_runs(now=NOW)
    run.refresh_from_db()
    assert run.last_error == "WorkerLost"


def test_a_run_within_its_lease_is_left_running() -> None:
    run = _running(started=NOW - timedelta(minutes=59))
    assert services.recover_lost_runs(now=NOW) == []
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_long_run_whose_worker_still_beats_is_left_running() -> None:
    WorkerBeat.objects.create(worker_id="busy-worker", seen_at=NOW - timedelta(minutes=1))
    run = _running(started=NOW - timedelta(hours=5), worker="busy-worker")
    assert services.recover_lost_runs(now=NOW) == []
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_a_run_whose_workers_beat_is_stale_is_recovered() -> None:
    WorkerBeat.objects.create(worker_id="stuck-worker", seen_at=NOW - timedelta(minutes=6))
    run = _running(started=NOW - timedelta(hours=2), worker="stuck-worker")
    services.recover_lost_runs(now=NOW)
    run.refresh_from_db()
    assert run.status == RunStatus.RETRYING


def test_a_run_lost_on_its_last_attempt_is_failed_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="keel.jobs")
    run = _running(started=NOW - timedelta(hours=2), attempts=MAX_ATTEMPTS)
    services.recover_lost_runs(now=NOW)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert any("FAILED" in r.getMessage() for r in caplog.records)


def test_a_recovered_run_is_recovered_once() -> None:
    _running(started=NOW - timedelta(hours=2))
    services.recover_lost_runs(now=NOW)
    assert services.recover_lost_runs(now=NOW) == []


@pytest.mark.django_db(transaction=True)  # the real worker commits and closes connections, as test_jobs.py
def test_the_worker_recovers_and_reruns_a_lost_run(monkeypatch: pytest.MonkeyPatch) -> None:
    run = _running(started=NOW - timedelta(hours=2))
    monkeypatch.setattr(services, "JOBS", JOBS)
    with time_machine.travel(NOW, tick=False):
        call_command("worker", "--once")  # recovers it; its retry waits a minute
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        call_command("worker", "--once")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert CALLS == ["2026-06-10"]


def test_a_run_names_the_worker_that_claimed_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "WORKER_ID", "this-worker")
    run = services.schedule_due(now=NOW, jobs=JOBS)[0]
    monkeypatch.setattr(services, "_attempt_failed", lambda *a: None)
    claimed = services._claim(run.pk)
    assert claimed is not None
    assert claimed.claimed_by == "this-worker"


def test_a_lost_attempt_that_finishes_late_leaves_the_retry_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    run = services.schedule_due(now=NOW, jobs=JOBS)[0]
    claimed = services._claim(run.pk)
    assert claimed is not None
    JobRun.objects.filter(pk=run.pk).update(started_at=NOW - timedelta(hours=2))
    services.recover_lost_runs(now=NOW)
    # The original attempt now finishes (its worker was only stuck): the recovery's retry stands.
    monkeypatch.setattr(services, "_claim", lambda run_id: claimed)
    services.execute(run.pk, jobs=JOBS)
    run.refresh_from_db()
    assert run.status == RunStatus.RETRYING


@pytest.mark.parametrize("value", ["10", "999999"])
def test_a_lease_outside_its_floor_and_ceiling_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    from keel.env import ConfigError, env_int

    monkeypatch.setenv("KEEL_JOB_LEASE_SECONDS", value)
    with pytest.raises(ConfigError, match="KEEL_JOB_LEASE_SECONDS"):
        env_int("KEEL_JOB_LEASE_SECONDS", 3600, floor=300, ceiling=86_400)
