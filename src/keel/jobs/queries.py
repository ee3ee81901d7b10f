"""Scheduled jobs, the reads: whether a worker is alive and what failed lately, the spec of what /healthz
reports (`keel.web.health` reads the same in one statement; tests/web/test_health.py holds the two equal)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from keel.db import rows
from keel.jobs.models import JobRun, RunStatus, WorkerBeat


@dataclass(frozen=True)
class WorkerHealth:
    alive: bool
    last_seen: datetime | None
    failed_runs: int  # runs FAILED in the last 7 days
    failed_steps: int = 0  # the live workers' loop steps failed in the last 24 hours (their beats' counts)
    step_failing: bool = False  # a live worker's step has failed on every pass for KEEL_WORKER_STALE_SECONDS


def worker_health(*, now: datetime | None = None) -> WorkerHealth:
    """A worker is alive when one beat within KEEL_WORKER_STALE_SECONDS."""
    now = now or timezone.now()
    # Hand-written (keel.db.rows): /healthz runs this on every probe, and building the two ORM querysets was
    # most of its time (bench/middleware_cost.py --profile, issue #21). The ORM's answer is the spec:
    # tests/jobs/test_jobs.py::test_worker_health_matches_the_orm, on both databases.
    beat_table, run_table = WorkerBeat._meta.db_table, JobRun._meta.db_table
    newest_beat = rows.fetch_one(
        f'FROM "{beat_table}" b ORDER BY b."seen_at" DESC LIMIT 1', [], WorkerBeat, "b"
    )
    newest = newest_beat.seen_at if newest_beat else None
    alive = newest is not None and now - newest <= timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS)
    since = JobRun._meta.get_field("finished_at").get_db_prep_value(now - timedelta(days=7), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT COUNT(*) FROM "{run_table}" WHERE "status" = %s AND "finished_at" >= %s',  # noqa: S608 # nosec B608
            [RunStatus.FAILED.value, since],
        )
        found = cursor.fetchone()
    failed = int(found[0]) if found else 0
    # The live workers' step failures (their beats within the stale limit), as /healthz counts them: the ORM's
    # spec of the probe's two subqueries on the beat table.
    stale = now - timedelta(seconds=settings.KEEL_WORKER_STALE_SECONDS)
    live = WorkerBeat.objects.filter(seen_at__gte=stale)
    steps = live.aggregate(n=Sum("failed_steps"))["n"] or 0
    failing = live.filter(failing_since__lte=stale).exists()
    return WorkerHealth(
        alive=alive, last_seen=newest, failed_runs=failed, failed_steps=int(steps), step_failing=failing
    )
