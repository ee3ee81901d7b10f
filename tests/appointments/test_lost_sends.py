"""An appointment reminder whose worker stopped mid-send, past its lease, is tried again and sent once (the
lease of keel.reminders.sending, shared with a person's own reminders: tests/reminders/test_lost_sends.py);
the last-attempt and within-the-lease cases are pinned in test_r19_fixes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from keel.appointments import services
from keel.appointments.models import Appointment, AppointmentSend
from keel.reminders import channels, sending
from keel.reminders.models import SendStatus
from tests.review19.conftest import EVE_18H, book


@pytest.fixture
def reminded(world: Any, smtp_server: Any, settings: Any) -> Any:
    """Alice chose appointment reminders by email the day before at 18:00 (no visit booked yet)."""
    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    world.alice.user.email = "alice@example.org"
    world.alice.user.save(update_fields=["email"])
    services.choose_reminders(world.alice.user, channel="email", day_before_at="18:00")
    world.box = smtp_server
    return world


@pytest.fixture
def booked(world: Any, smtp_server: Any, settings: Any) -> Any:
    """Alice chose appointment reminders by email the day before at 18:00; a visit is booked."""
    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    world.alice.user.email = "alice@example.org"
    world.alice.user.save(update_fields=["email"])
    services.choose_reminders(world.alice.user, channel="email", day_before_at="18:00")
    world.box = smtp_server
    world.visit = book(world)
    with mock.patch.object(channels, "send_email", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=EVE_18H)
    return world


def test_a_lost_send_with_attempts_left_is_sent_by_a_later_pass(booked: Any) -> None:
    services.send_due(now=EVE_18H + timedelta(minutes=11))
    assert services.send_due(now=EVE_18H + timedelta(minutes=12)) == 1
    row = AppointmentSend.objects.get()
    assert (row.status, row.attempts, len(booked.box.messages)) == (SendStatus.SENT, 2, 1)


def test_a_lost_send_is_recorded_as_a_lost_worker(booked: Any) -> None:
    services.send_due(now=EVE_18H + timedelta(minutes=11))
    row = AppointmentSend.objects.get()
    assert (row.status, row.error) == (SendStatus.RETRYING, "WorkerLost")


def test_a_lost_send_once_sent_is_never_sent_again(booked: Any) -> None:
    for minutes in (11, 12, 13, 30, 90):
        services.send_due(now=EVE_18H + timedelta(minutes=minutes))
    assert len(booked.box.messages) == 1


# --- Issue #17 (review 16a): a retry obeys the late window; a claimed send is read again ---------------


def test_a_lost_send_found_the_next_morning_is_stopped_not_sent(booked: Any) -> None:
    """Lost at 18:00, found at 04:00 local: the retry is past the late window (keel.core.reminders)."""
    night = EVE_18H + timedelta(hours=10)
    services.send_due(now=night)
    services.send_due(now=night + timedelta(minutes=2))
    row = AppointmentSend.objects.get()
    assert (row.status, len(booked.box.messages)) == (SendStatus.STOPPED, 0)


def test_a_retry_just_inside_the_late_window_is_sent(booked: Any) -> None:
    services.send_due(now=EVE_18H + timedelta(minutes=110))  # recovered, tried again a minute later
    services.send_due(now=EVE_18H + timedelta(minutes=119))
    assert (AppointmentSend.objects.get().status, len(booked.box.messages)) == (SendStatus.SENT, 1)


def test_the_late_window_is_counted_from_the_local_time_across_a_clock_change(
    reminded: Any, settings: Any
) -> None:
    """2027-03-14 is the spring-forward day in New York: the day-before reminder of a visit on the 15th at
    18:00 local is 22:00 UTC (EDT), not 23:00 (EST). Lost, then found 2 h 30 later: stopped."""
    book(reminded, day="2027-03-15")
    eve = datetime(2027, 3, 14, 22, 0, tzinfo=UTC)
    with mock.patch.object(channels, "send_email", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=eve)
    services.send_due(now=eve + timedelta(minutes=140))
    services.send_due(now=eve + timedelta(minutes=150))  # 20:30 local, 2.5 h late (1.5 h if read as EST)
    assert (AppointmentSend.objects.get().status, len(reminded.box.messages)) == (SendStatus.STOPPED, 0)


def _then(monkeypatch: Any, change: Any) -> None:
    """`change()` runs just after a send is claimed, before its message goes out."""
    original = sending.Sends.claim_new

    def claim_then_change(self: Any, **kwargs: Any) -> Any:
        row = original(self, **kwargs)
        change()
        return row

    monkeypatch.setattr(sending.Sends, "claim_new", claim_then_change)


def test_an_appointment_cancelled_as_its_reminder_is_claimed_is_not_reminded(
    reminded: Any, monkeypatch: Any
) -> None:
    visit = book(reminded)
    _then(monkeypatch, lambda: Appointment.objects.filter(pk=visit.pk).update(status="cancelled"))
    assert services.send_due(now=EVE_18H) == 0
    assert (AppointmentSend.objects.get().status, len(reminded.box.messages)) == (SendStatus.STOPPED, 0)


def test_an_appointment_moved_as_its_reminder_is_claimed_is_reminded_of_the_new_time_only(
    reminded: Any, monkeypatch: Any
) -> None:
    visit = book(reminded)

    def move() -> None:
        services.reschedule(
            by=reminded.staff["nurse"],
            patient_id=reminded.alice.pk,
            appointment_id=visit.pk,
            day="2027-03-10",
            start="11:00",
            end="12:00",
            now=EVE_18H,
        )

    _then(monkeypatch, move)
    services.send_due(now=EVE_18H)
    monkeypatch.undo()
    services.send_due(now=EVE_18H + timedelta(minutes=1))
    rows = sorted(AppointmentSend.objects.values_list("version", "status"))
    assert rows == [(0, SendStatus.STOPPED), (1, SendStatus.SENT)], rows
    assert len(reminded.box.messages) == 1
    assert "11 a.m." in reminded.box.body(reminded.box.messages[0])


def test_a_sending_row_with_no_claim_time_is_recovered_a_lease_after_it_is_seen(booked: Any) -> None:
    AppointmentSend.objects.update(claimed_at=None)
    seen = EVE_18H + timedelta(minutes=1)
    services.send_due(now=seen)  # not taken at once: a worker may still be on it
    assert (AppointmentSend.objects.get().status, AppointmentSend.objects.get().claimed_at) == (
        SendStatus.SENDING,
        seen,
    )
    services.send_due(now=seen + timedelta(minutes=9))
    assert AppointmentSend.objects.get().status == SendStatus.SENDING
    services.send_due(now=seen + timedelta(minutes=11))
    services.send_due(now=seen + timedelta(minutes=12))
    row = AppointmentSend.objects.get()
    assert (row.status, row.attempts, len(booked.box.messages)) == (SendStatus.SENT, 2, 1)
