"""A program whose time zone no longer loads (edited by hand, dropped by tzdata) skips its own people's
appointment reminders, never sends them at a guessed time, and does not stop anyone else's
(`keel.reminders.sending.zone_or_skip`; a person's own reminders: tests/review17c)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest

from keel.appointments import services
from keel.appointments.models import AppointmentSend
from keel.reminders import channels
from keel.reminders.models import SendStatus
from tests.review19.conftest import EVE_18H, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(world: Any, smtp_server: Any, settings: Any) -> Any:
    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    world.alice.user.email = "alice@example.org"
    world.alice.user.save(update_fields=["email"])
    services.choose_reminders(world.alice.user, channel="email", day_before_at="18:00")
    world.box = smtp_server
    world.visit = book(world)
    return world


def _break_zone(world: Any) -> None:
    world.riverside.time_zone = "America/New York"  # a space for the underscore
    world.riverside.save(update_fields=["time_zone"])


def test_a_bad_zone_does_not_raise_out_of_the_step(booked: Any) -> None:
    _break_zone(booked)
    assert services.send_due(now=EVE_18H) == 0


def test_a_bad_zone_sends_nothing_at_a_guessed_time(booked: Any) -> None:
    _break_zone(booked)
    services.send_due(now=EVE_18H)
    assert booked.box.messages == []


def test_a_bad_zone_is_logged_by_program_not_person(booked: Any, caplog: Any) -> None:
    _break_zone(booked)
    with caplog.at_level(logging.ERROR, logger="keel.reminders"):
        services.send_due(now=EVE_18H)
    assert [r.getMessage() for r in caplog.records] == [
        f"reminder skipped: the time zone of program {booked.riverside.pk} does not load"
    ]


def test_a_claimed_retry_whose_zone_broke_is_stopped_not_sent(booked: Any) -> None:
    with mock.patch.object(channels, "send_email", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=EVE_18H)  # a worker dies mid-send
    _break_zone(booked)
    services.send_due(now=EVE_18H + timedelta(minutes=11))  # the lease recovers it as a retry
    services.send_due(now=EVE_18H + timedelta(minutes=12))
    assert AppointmentSend.objects.get().status == SendStatus.STOPPED
