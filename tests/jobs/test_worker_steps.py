"""`keel worker`'s loop outlives a failing step (issue #17, review 16a): the step is logged by its name and
the exception's class only (no words of the exception: they may name a person or a medication), counted,
and the next steps still run."""

from __future__ import annotations

import logging
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
