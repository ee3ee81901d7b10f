"""Scheduled job runs (one row per job and slot: the database refuses a second) and worker heartbeats."""

from __future__ import annotations

from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    DONE = "done"
    FAILED = "failed"


class JobRun(models.Model):
    """One scheduled run of one job for one slot (a local day). Created by whichever scheduler gets there
    first; the unique (job, slot) constraint makes every other scheduler's insert fail, so no slot runs
    twice."""

    job = models.CharField(max_length=40)
    slot = models.CharField(max_length=40)  # e.g. "2026-12-01": the program zone's calendar day
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The failure's exception class only: an exception's message could carry patient data.
    last_error = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=200, blank=True)  # counts only, e.g. "3 flag(s) raised"
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The worker (WorkerBeat.worker_id) running the current attempt: a run still "running" past its lease
    # whose worker no longer beats was lost with that worker (killed, machine lost) and is recovered.
    claimed_by = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "slot"],
                name="jobrun_one_per_slot",
                violation_error_message="This job already has a run for this slot.",
            ),
            models.CheckConstraint(
                condition=models.Q(attempts__lte=10),
                name="jobrun_attempts_bounded",
                violation_error_message="A job run is attempted at most 10 times.",
            ),
        ]
        indexes = [models.Index(fields=["status", "finished_at"], name="jobrun_status_finished")]

    def __str__(self) -> str:
        return f"{self.job}@{self.slot} ({self.status})"


class WorkerBeat(models.Model):
    """A worker process's last sign of life; /healthz reads the newest."""

    worker_id = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(db_index=True)
    # The worker's own step failures, written with each beat (/healthz runs in another process and reads them
    # here): how many steps of its loop failed in the last 24 hours, and since when a step has failed on
    # every pass without one success (null: none is failing now). keel.jobs.services.StepRecord keeps them.
    failed_steps = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.worker_id
