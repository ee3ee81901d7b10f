"""`keel worker`: put the due slots of the scheduled jobs on the queue and run the queue (django-tasks'
database backend), beating a heartbeat that /healthz reads. Run one or more beside the web processes.

Each step of the loop is run on its own (`run_step`): one that raises (a reminder deleted at the wrong
moment, the database gone for a moment) is logged by the step's name and the exception's class only (its
text may quote an address or a record; no health information, no patient id), counted in `STEP_FAILURES`,
and the loop goes on with the next step: one bad row never stops every program's jobs and reminders. The
failures go with the next beat to the worker's heartbeat row, where /healthz reads them (`failed_steps`)."""

from __future__ import annotations

import logging
import time
from argparse import ArgumentParser
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from keel.appointments import services as appointments
from keel.jobs import services
from keel.reminders import services as reminders

logger = logging.getLogger("keel.jobs")
T = TypeVar("T")
STEP_FAILURES: Counter[str] = Counter()  # failed steps by name, since this process started
# The same failures by time, written with each beat for /healthz (`failed_steps`; another process reads them).
STEPS = services.StepRecord()


def run_step(name: str, step: Callable[[], T]) -> T | None:
    """`step()`, or None when it raised: logged by `name` and the exception's class only, and counted (in
    `STEP_FAILURES`, and in `STEPS` for the next beat)."""
    try:
        answer = step()
    except Exception as exc:  # the loop must outlive any one step
        STEP_FAILURES[name] += 1
        STEPS.failed(name, timezone.now())
        logger.error(
            "Worker step %s failed (%s, %d time(s) so far); going on.",
            name,
            type(exc).__name__,
            STEP_FAILURES[name],
        )
        return None
    STEPS.succeeded(name)
    return answer


class Command(BaseCommand):
    help = (
        "Run the background worker: scheduled jobs (silence scan, audit verification, backups) and the queue."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between looks at the queue (1 to 60)"
        )
        parser.add_argument(
            "--once", action="store_true", help="queue the due slots, run every ready task, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if not 1 <= interval <= 60:
            raise CommandError("--interval: must be between 1 and 60 seconds", returncode=2)
        worker_id = services.new_worker_id()
        services.WORKER_ID = worker_id  # the runs this process claims name it (lost-run recovery)
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,  # run() returns when nothing is ready; this loop then schedules and beats
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        if not options["once"]:
            worker.configure_signals()
            self.stdout.write(f"Keel worker {worker_id} started.")
            self.stdout.flush()
        try:
            while worker.running:
                run_step("beat", lambda: services.beat(worker_id, steps=STEPS))
                for run in run_step("recover_lost_runs", services.recover_lost_runs) or ():
                    logger.warning("Recovered %s for %s from a lost worker.", run.job, run.slot)
                for run in run_step("schedule_due", services.schedule_due) or ():
                    logger.info("Queued %s for %s.", run.job, run.slot)
                # each reminder at its person's local time, once a day
                sent = run_step("reminders", reminders.send_due)
                if sent:
                    logger.info("%d reminder(s) sent.", sent)
                booked = run_step("appointment_reminders", appointments.send_due)  # once per slot
                if booked:
                    logger.info("%d appointment reminder(s) sent.", booked)
                run_step("queue", worker.run)
                if options["once"]:
                    break
                time.sleep(interval)
        finally:
            services.stop(worker_id)
