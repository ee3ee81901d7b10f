"""`keel worker`'s loop outlives a failing step (issue #17, review 16a): the step is logged by its name and
the exception's class only (no words of the exception: they may name a person or a medication), counted,
and the next steps still run."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command

from keel.appointments import services as appointments
from keel.jobs import services
from keel.jobs.management.commands import worker
from keel.jobs.models import WorkerBeat
from keel.reminders import services as reminders

pytestmark = pytest.mark.django_db(transaction=True)  # the queue step closes old connections

SECRET = "Alice Example, naltrexone 50 mg, patient 42"


def test_a_failing_step_is_logged_counted_and_the_loop_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(services, "JOBS", {})
    monkeypatch.setattr(worker, "STEP_FAILURES", type(worker.STEP_FAILURES)())
    ran: list[str] = []

    def broken(**kwargs: Any) -> int:
        raise LookupError(SECRET)

    def booked(**kwargs: Any) -> int:
        ran.append("appointment_reminders")
        return 0

    monkeypatch.setattr(reminders, "send_due", broken)
    monkeypatch.setattr(appointments, "send_due", booked)
    monkeypatch.setattr(services, "stop", lambda worker_id: ran.append("stopped"))
    with caplog.at_level(logging.INFO, logger="keel.jobs"):
        call_command("worker", "--once")  # must not raise
    assert ran == ["appointment_reminders", "stopped"]
    assert WorkerBeat.objects.exists()
    assert worker.STEP_FAILURES == {"reminders": 1}
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["Worker step reminders failed (LookupError, 1 time(s) so far); going on."]
    assert SECRET not in caplog.text and "Alice" not in caplog.text


def test_an_interrupt_still_stops_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only errors are caught: a KeyboardInterrupt or SystemExit ends the loop (and the beat is removed)."""
    monkeypatch.setattr(services, "JOBS", {})

    def interrupted(**kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(reminders, "send_due", interrupted)
    with pytest.raises(KeyboardInterrupt):
        call_command("worker", "--once")
    assert not WorkerBeat.objects.exists()


def test_a_failing_step_goes_with_the_next_beat_for_healthz(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session 18: /healthz runs in another process and cannot see `STEP_FAILURES`; the worker writes its step
    failures on its beat row (how many in the last 24 hours, and since when a step has failed on every pass),
    which the probe reads."""
    monkeypatch.setattr(services, "JOBS", {})
    monkeypatch.setattr(worker, "STEPS", services.StepRecord())
    monkeypatch.setattr(services, "stop", lambda worker_id: None)  # keep the beat rows to look at

    def broken(**kwargs: Any) -> int:
        raise LookupError(SECRET)

    monkeypatch.setattr(reminders, "send_due", broken)
    call_command("worker", "--once")  # beats (nothing failed yet), then the reminders step fails
    call_command("worker", "--once")  # the next pass's beat carries the failure; the step fails again
    first, second = WorkerBeat.objects.order_by("id")
    assert (first.failed_steps, first.failing_since) == (0, None)
    assert second.failed_steps == 1
    failing_since = second.failing_since
    assert failing_since is not None
    assert worker.STEPS.failing_since.keys() == {"reminders"}
    assert worker.STEPS.oldest_failing() == failing_since  # the first failure: it has not succeeded since
    monkeypatch.setattr(reminders, "send_due", lambda **kwargs: 0)
    call_command("worker", "--once")  # 2 failures so far; the step now succeeds
    call_command("worker", "--once")
    third, fourth = WorkerBeat.objects.order_by("id")[2:]
    assert (third.failed_steps, third.failing_since) == (2, failing_since)
    assert (fourth.failed_steps, fourth.failing_since) == (2, None)  # succeeded: no longer failing


def test_step_failures_count_for_24_hours() -> None:
    steps = services.StepRecord()
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    steps.failed("reminders", now - timedelta(hours=24, microseconds=1))
    steps.failed("queue", now - timedelta(hours=24))
    steps.failed("reminders", now)
    assert steps.in_last_day(now) == 2
    assert steps.oldest_failing() == now - timedelta(hours=24, microseconds=1)
    steps.succeeded("reminders")
    assert steps.oldest_failing() == now - timedelta(hours=24)
    services.beat("w", now=now, steps=steps)
    row = WorkerBeat.objects.get(worker_id="w")
    assert (row.failed_steps, row.failing_since) == (2, now - timedelta(hours=24))
    services.beat("w", now=now)  # a beat told of no failures writes none
    assert WorkerBeat.objects.filter(worker_id="w", failed_steps=0, failing_since=None).exists()
