"""Scheduled jobs: which exist, putting due slots on the queue (once per slot), running an attempt with
retries, the worker's heartbeat. The queue is django-tasks' database backend (keel/jobs/tasks.py); whether a
worker is alive and what failed is read in `keel.jobs.queries`."""

from __future__ import annotations

import logging
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from keel.jobs.models import JobRun, RunStatus, WorkerBeat
from keel.jobs.schedule import Daily, retry_delay

logger = logging.getLogger("keel.jobs")


class JobAttemptFailed(Exception):
    """An attempt of a scheduled job failed; the message names the job, the slot and the exception class
    only."""


class AuditChainBroken(Exception):
    """The daily verification found a broken audit chain (the row id is in the message; no content)."""


@dataclass(frozen=True)
class Job:
    schedule: Daily
    run: Callable[[JobRun], str]  # returns a short summary with counts only


def _silence_scan(run: JobRun) -> str:
    from keel.recovery.services import scan_for_silence

    return f"{scan_for_silence(now=timezone.now())} silence flag(s) raised"


def _audit_checkpoint(run: JobRun) -> str:
    """Verify the audit chain and append its signed head to KEEL_AUDIT_CHECKPOINT_FILE (outside the
    database; `keel audit verify --checkpoints FILE` checks against it). A broken chain fails the run."""
    import json
    import os

    from keel.audit import services as audit

    try:
        head = audit.checkpoint()
    except ValueError:
        raise AuditChainBroken("the audit chain does not verify") from None
    path = Path(settings.KEEL_AUDIT_CHECKPOINT_FILE)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as log:
        log.write(json.dumps(head, sort_keys=True) + "\n")
        log.flush()
        os.fsync(log.fileno())
    return f"checkpoint of {head['rows']} audit row(s) written"


def backup_path(slot: str) -> Path:
    return Path(settings.KEEL_BACKUP_DIR) / f"keel-{slot}.backup"


def _backup(run: JobRun) -> str:
    """Today's backup (SQLite's online backup or pg_dump, keel.db.backup), then keep the newest
    KEEL_BACKUP_KEEP backups and delete the older ones. A retry after the file was written only prunes."""
    from keel.db import backup

    directory = Path(settings.KEEL_BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = backup_path(run.slot)
    size = path.stat().st_size if path.exists() else backup.create(path)
    removed = prune_backups(directory, keep=settings.KEEL_BACKUP_KEEP)
    return f"{size} bytes written, {removed} old backup(s) removed"


def prune_backups(directory: Path, *, keep: int) -> int:
    """Delete all but the newest `keep` scheduled backups (`keel-YYYY-MM-DD.backup`; other files stay)."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    ours = sorted(p for p in directory.glob("keel-????-??-??.backup") if p.is_file())
    old = ours[:-keep]
    for path in old:
        path.unlink()
    return len(old)


JOBS: dict[str, Job] = {
    "audit_checkpoint": Job(Daily("audit_checkpoint", time(2, 30)), _audit_checkpoint),
    "backup": Job(Daily("backup", time(3, 0)), _backup),
    "silence_scan": Job(Daily("silence_scan", time(6, 0)), _silence_scan),
}


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def schedule_due(*, now: datetime | None = None, jobs: dict[str, Job] | None = None) -> list[JobRun]:
    """Create the run of every job's due slot and queue it, in one transaction each. A slot that already
    has a run (queued, done or failed, by this or any other scheduler) is left alone: the database's
    unique (job, slot) constraint decides, so two workers never run the same slot."""
    from keel.jobs.tasks import run_job

    now = now or timezone.now()
    created = []
    for name, job in (jobs or JOBS).items():
        slot, start = job.schedule.due(now, zone())
        if JobRun.objects.filter(job=name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                run = JobRun.objects.create(job=name, slot=slot, scheduled_for=start)
                run_job.enqueue(run.pk)
        except IntegrityError:
            continue  # another scheduler created it between the check and the insert
        created.append(run)
    return created


# The worker id of this process's `keel worker` (set by the command): the runs it claims name it.
WORKER_ID = ""


class WorkerLost(Exception):
    """The worker running an attempt stopped beating before the attempt ended (killed, machine lost)."""


def _claim(run_id: int) -> JobRun | None:
    with transaction.atomic():
        run = JobRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status not in (RunStatus.QUEUED, RunStatus.RETRYING):
            return None  # done, failed, or being run: never a second time
        run.status = RunStatus.RUNNING
        run.attempts += 1
        run.started_at = timezone.now()
        run.claimed_by = WORKER_ID
        run.save(update_fields=["status", "attempts", "started_at", "claimed_by"])
        return run


def execute(run_id: int, *, jobs: dict[str, Job] | None = None) -> str:
    """One attempt of a run. On failure: queue the next attempt after its delay, or, after the last,
    mark the run FAILED and log an error (the report); then raise so the queue records the attempt as
    failed."""
    run = _claim(run_id)
    if run is None:
        return "skipped: not queued"
    job = (jobs or JOBS)[run.job]
    try:
        summary = job.run(run)
    except Exception as exc:
        _attempt_failed(run, type(exc).__name__)
        raise JobAttemptFailed(f"{run.job} {run.slot} attempt {run.attempts}: {run.last_error}") from None
    run.status = RunStatus.DONE
    run.summary = summary[:200]
    run.finished_at = timezone.now()
    # Only while the run is still this attempt's: one recovered as lost meanwhile stays with its retry.
    if not JobRun.objects.filter(
        pk=run.pk, status=RunStatus.RUNNING, attempts=run.attempts, claimed_by=run.claimed_by
    ).update(status=run.status, summary=run.summary, finished_at=run.finished_at):
        logger.warning("Job %s for %s finished after it was taken as lost.", run.job, run.slot)
        return run.summary
    logger.info("Job %s for %s done: %s", run.job, run.slot, run.summary)
    return run.summary


def _attempt_failed(run: JobRun, error: str) -> None:
    """Record a failed attempt: queue the next after its delay, or, after the last, mark the run FAILED and
    log an error (the report)."""
    from keel.jobs.tasks import run_job

    run.last_error = error[:200]
    run.finished_at = timezone.now()
    delay = retry_delay(run.attempts)
    with transaction.atomic():
        if delay is None:
            run.status = RunStatus.FAILED
            logger.error(
                "Job %s for %s FAILED after %d attempts (%s).",
                run.job,
                run.slot,
                run.attempts,
                run.last_error,
            )
        else:
            run.status = RunStatus.RETRYING
            run_job.using(run_after=run.finished_at + delay).enqueue(run.pk)
            logger.warning(
                "Job %s for %s failed (attempt %d, %s); trying again in %s.",
                run.job,
                run.slot,
                run.attempts,
                run.last_error,
                delay,
            )
        run.save(update_fields=["status", "last_error", "finished_at"])


def recover_lost_runs(*, now: datetime | None = None) -> list[JobRun]:
    """Runs left "running" by a worker that died mid-attempt: started more than KEEL_JOB_LEASE_SECONDS ago
    and their worker has not beaten within KEEL_WORKER_STALE_SECONDS. Each counts as a failed attempt
    (`WorkerLost`): retried after its delay, or FAILED and reported after the last. A run whose worker still
    beats is left alone however long it takes (a large backup)."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.KEEL_JOB_LEASE_SECONDS)
    alive = WorkerBeat.objects.filter(
        seen_at__gte=now - timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS)
    ).values_list("worker_id", flat=True)
    candidates = JobRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - lease).exclude(
        claimed_by__in=list(alive)
    )
    recovered = []
    for run_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            run = (
                JobRun.objects.select_for_update()
                .filter(pk=run_id, status=RunStatus.RUNNING, started_at__lt=now - lease)
                .first()
            )
            if run is None:
                continue  # another worker recovered it, or it finished
            _attempt_failed(run, WorkerLost.__name__)
        recovered.append(run)
    return recovered


# --- The worker's heartbeat --------------------------------------------------------------------------


def new_worker_id() -> str:
    import os
    import secrets

    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"[:64]


STEP_FAILURE_WINDOW = timedelta(hours=24)  # failed_steps on /healthz: this worker's failures in the last day


@dataclass
class StepRecord:
    """One worker's step failures, kept in its process and written with each beat (`beat`): /healthz runs in
    another process and reads them from the beat's row. `failures`: when each failure happened (the last
    24 hours kept); `failing_since`: per step, its first failure since it last succeeded (a step that
    succeeds leaves it)."""

    failures: deque[datetime] = field(default_factory=deque)
    failing_since: dict[str, datetime] = field(default_factory=dict)

    def failed(self, name: str, now: datetime) -> None:
        self.failures.append(now)
        self.failing_since.setdefault(name, now)

    def succeeded(self, name: str) -> None:
        self.failing_since.pop(name, None)

    def in_last_day(self, now: datetime) -> int:
        while self.failures and self.failures[0] < now - STEP_FAILURE_WINDOW:
            self.failures.popleft()
        return len(self.failures)

    def oldest_failing(self) -> datetime | None:
        """Since when a step has failed on every pass (the longest failing one's first failure), or None."""
        return min(self.failing_since.values(), default=None)


def beat(worker_id: str, *, now: datetime | None = None, steps: StepRecord | None = None) -> None:
    """The worker's sign of life, with its step failures (`steps`: none when not given)."""
    now = now or timezone.now()
    steps = steps or StepRecord()
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "seen_at": now,
            "failed_steps": steps.in_last_day(now),
            "failing_since": steps.oldest_failing(),
        },
    )
    WorkerBeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()


def stop(worker_id: str) -> None:
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def run_queue(worker_id: str = "keel-once") -> None:
    """Run every queued task that is ready now, then return (one turn of `keel worker`'s queue)."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()
