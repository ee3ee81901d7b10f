"""Review 19 fixes: strict local times, reachable channels, lost sends, status changes, a reminder a move."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from keel.appointments import services
from keel.appointments.models import AppointmentSend
from keel.core.appointments import PASSED, status_change_problem, wall_clock_time
from keel.reminders import channels
from keel.reminders.models import SendStatus
from tests.conftest import sign_in
from tests.review19.conftest import BOOKED_AT, EVE_18H, book


@pytest.fixture
def reminded(world: Any, smtp_server: Any, settings: Any) -> Any:
    """Alice chose appointment reminders by email the day before at 18:00 (as in tests/review19)."""
    settings.KEEL_PUBLIC_URL = "https://clinic.example"
    world.alice.user.email = "alice@example.org"
    world.alice.user.save(update_fields=["email"])
    services.choose_reminders(world.alice.user, channel="email", day_before_at="18:00")
    return world


@pytest.mark.parametrize("text", ["09:30", " 09:30 "])
def test_a_local_time_written_hh_mm_is_read(text: str) -> None:
    assert wall_clock_time(text) == time(9, 30)


@pytest.mark.parametrize(
    "text", ["09:30Z", "09:30+05:00", "09:30:00", "9:30", "24:00", "09:60", "", None, "٠٩:٣٠", "0930"]
)
def test_anything_but_a_local_hh_mm_time_is_refused(text: Any) -> None:
    with pytest.raises(ValueError):
        wall_clock_time(text)


def test_an_attended_visit_cannot_be_scheduled_again_after_its_time() -> None:
    start = datetime(2027, 3, 10, 14, 30, tzinfo=UTC)
    assert status_change_problem("attended", "scheduled", start, start + timedelta(hours=1)) == PASSED


def test_a_visit_cancelled_by_mistake_is_scheduled_again_before_its_time() -> None:
    start = datetime(2027, 3, 10, 14, 30, tzinfo=UTC)
    assert status_change_problem("cancelled", "scheduled", start, start - timedelta(days=1)) is None


def test_a_visit_that_has_begun_is_marked_attended() -> None:
    start = datetime(2027, 3, 10, 14, 30, tzinfo=UTC)
    assert status_change_problem("scheduled", "attended", start, start) is None


def test_the_page_says_text_messages_are_not_set_up(world: Any, settings: Any) -> None:
    settings.KEEL_SMS_BACKEND = ""
    response = sign_in(Client(), world.alice.user).post(
        "/me/appointments/", {"channel": "sms", "day_before": "on", "day_before_at": "18:00"}
    )
    assert "does not send text messages" in response.content.decode()


def test_the_page_offers_no_text_messages_when_they_are_not_set_up(world: Any, settings: Any) -> None:
    settings.KEEL_SMS_BACKEND = ""
    response = sign_in(Client(), world.alice.user).get("/me/appointments/")
    assert 'value="sms"' not in response.content.decode()


def test_text_messages_without_a_phone_number_are_refused(world: Any, settings: Any) -> None:
    settings.KEEL_SMS_BACKEND = "keel.reminders.channels.FileSms"
    world.alice.phone = ""
    world.alice.save(update_fields=["phone"])
    with pytest.raises(services.AppointmentInvalid) as refused:
        services.choose_reminders(world.alice.user, channel="sms", day_before_at="18:00")
    assert refused.value.errors[0].reason == services.NO_PHONE


def test_a_lost_send_on_its_last_attempt_is_marked_failed(reminded: Any, settings: Any) -> None:
    settings.KEEL_REMINDER_MAX_ATTEMPTS = 1
    book(reminded)
    with mock.patch.object(channels, "send_email", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=EVE_18H)
    services.send_due(now=EVE_18H + timedelta(minutes=15))
    assert AppointmentSend.objects.get().status == SendStatus.FAILED


def test_a_send_still_within_its_lease_is_left_alone(reminded: Any) -> None:
    book(reminded)
    with mock.patch.object(channels, "send_email", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=EVE_18H)
    services.send_due(now=EVE_18H + timedelta(minutes=5))
    assert AppointmentSend.objects.get().status == SendStatus.SENDING


def test_a_move_of_the_end_only_sends_no_new_reminder(reminded: Any) -> None:
    visit = book(reminded)
    services.send_due(now=EVE_18H)
    services.reschedule(
        by=reminded.staff["nurse"],
        patient_id=reminded.alice.pk,
        appointment_id=visit.pk,
        day="2027-03-10",
        start="09:30",
        end="11:00",
        now=EVE_18H + timedelta(minutes=5),
    )
    assert services.send_due(now=EVE_18H + timedelta(minutes=10)) == 0


def test_a_retry_for_a_time_since_moved_is_not_sent(reminded: Any) -> None:
    visit = book(reminded)
    with mock.patch.object(channels, "send_email", side_effect=OSError()):
        services.send_due(now=EVE_18H)
    services.reschedule(
        by=reminded.staff["nurse"],
        patient_id=reminded.alice.pk,
        appointment_id=visit.pk,
        day="2027-03-10",
        start="11:00",
        end="12:00",
        now=EVE_18H + timedelta(seconds=30),
    )
    services.send_due(now=EVE_18H + timedelta(minutes=2))
    assert AppointmentSend.objects.get(version=0).status == SendStatus.STOPPED


def test_the_start_refused_with_an_offset_names_start(world: Any) -> None:
    with pytest.raises(services.AppointmentInvalid) as refused:
        book(world, start="09:30Z", now=BOOKED_AT)
    assert [e.field for e in refused.value.errors] == ["start"]


@pytest.mark.parametrize(("moves", "version"), [(["09:30", "11:00", "09:30"], 2), (["09:30", "11:00"], 1)])
def test_the_migration_numbers_the_sends_of_each_start(reminded: Any, moves: list[str], version: int) -> None:
    """Sends written once per (slot, start) before migration 0002 get a version per start; the appointment
    the latest start's version, or a new one when it was moved back to an earlier start (reminded again)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("keel.appointments.migrations.0002_r19_send_per_move")
    visit = book(reminded)
    for n, start in enumerate(dict.fromkeys(moves)):
        hour, minute = (int(part) for part in start.split(":"))
        AppointmentSend.objects.create(
            appointment=visit,
            slot="day_before",
            starts_at=visit.starts_at.replace(hour=hour + 5, minute=minute),
            version=10 + n,
            channel="email",
            status=SendStatus.SENT,
            sent_at=EVE_18H,
        )
    final = moves[-1]
    visit.starts_at = visit.starts_at.replace(hour=int(final[:2]) + 5, minute=int(final[3:]))
    visit.ends_at = visit.starts_at + timedelta(hours=1)
    visit.save(update_fields=["starts_at", "ends_at"])
    migration.number_the_moves(apps, None)
    visit.refresh_from_db()
    assert visit.version == version
