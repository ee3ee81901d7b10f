"""An appointment reminder whose worker stopped mid-send, past its lease, is tried again and sent once (the
lease of keel.reminders.sending, shared with a person's own reminders: tests/reminders/test_lost_sends.py);
the last-attempt and within-the-lease cases are pinned in test_r19_fixes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest

from keel.appointments import services
from keel.appointments.models import AppointmentSend
from keel.reminders import channels
from keel.reminders.models import SendStatus
from tests.review19.conftest import EVE_18H, book


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
