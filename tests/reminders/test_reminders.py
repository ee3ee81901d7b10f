"""Reminders outside the app (issue #19): the person chooses email or text message for one of their
reminders; the worker sends it at their local time across DST changes, once a day, with no health
information; one tap on the link stops it; text messages go through an adapter (a file, in tests)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from keel.access.policy import PatientNotFound
from keel.recovery.models import Reminder
from keel.reminders import services
from keel.reminders.models import Delivery, ReminderSend, SendStatus
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

WINTER_EIGHT = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # 08:00 EST in New York (the program's zone)
SUMMER_EIGHT = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # 08:00 EDT, after the spring change


@pytest.fixture
def reminder(world: World) -> Reminder:
    world.alice.user.email = "alice@example.org"
    world.alice.user.save()
    world.alice.phone = "+15555550101"
    world.alice.save()
    return Reminder.objects.create(
        patient=world.alice, kind="medication", at=time(8, 0), created_at=WINTER_EIGHT
    )


def _by_email(world: World, reminder: Reminder) -> Delivery:
    delivery = services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="email")
    assert delivery is not None
    return delivery


def test_the_email_goes_out_at_eight_local_before_and_after_the_dst_change(
    world: World, reminder: Reminder
) -> None:
    _by_email(world, reminder)
    assert services.send_due(now=WINTER_EIGHT) == 1
    assert services.send_due(now=SUMMER_EIGHT.replace(hour=11, minute=59)) == 0  # 07:59 EDT
    assert services.send_due(now=SUMMER_EIGHT) == 1
    assert len(mail.outbox) == 2


def test_a_reminder_goes_out_once_a_day(world: World, reminder: Reminder) -> None:
    _by_email(world, reminder)
    services.send_due(now=WINTER_EIGHT)
    assert services.send_due(now=WINTER_EIGHT.replace(minute=30)) == 0
    assert ReminderSend.objects.count() == 1


def test_the_message_carries_no_health_information(world: World, reminder: Reminder) -> None:
    _by_email(world, reminder)
    services.send_due(now=WINTER_EIGHT)
    sent = mail.outbox[0]
    words = (sent.subject + sent.body).lower()
    for secret in ("medication", "alice", "example", world.alice.family_name.lower(), "riverside", "opioid"):
        assert secret not in words.replace("alice@example.org", "")


def test_the_message_has_the_stop_link_and_one_click_unsubscribe(world: World, reminder: Reminder) -> None:
    delivery = _by_email(world, reminder)
    services.send_due(now=WINTER_EIGHT)
    sent = mail.outbox[0]
    assert f"/reminders/stop/{delivery.stop_token}/" in sent.body
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_stop_page_changes_nothing_until_the_button(world: World, reminder: Reminder) -> None:
    delivery = _by_email(world, reminder)
    page = Client().get(f"/reminders/stop/{delivery.stop_token}/")
    assert page.status_code == 200
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_one_tap_stops_it(world: World, reminder: Reminder) -> None:
    delivery = _by_email(world, reminder)
    response = Client(enforce_csrf_checks=True).post(
        f"/reminders/stop/{delivery.stop_token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert services.send_due(now=WINTER_EIGHT) == 0
    reminder.refresh_from_db()
    assert reminder.active  # still in the app


def test_a_second_tap_or_a_made_up_token_is_not_found(world: World, reminder: Reminder) -> None:
    delivery = _by_email(world, reminder)
    Client().post(f"/reminders/stop/{delivery.stop_token}/")
    assert Client().post(f"/reminders/stop/{delivery.stop_token}/").status_code == 404
    assert Client().get("/reminders/stop/made-up/").status_code == 404


def test_someone_else_cannot_choose_a_channel_for_my_reminder(world: World, reminder: Reminder) -> None:
    with pytest.raises(PatientNotFound):
        services.choose_channel(world.bob.user, reminder_id=reminder.pk, channel="email")


def test_a_staff_member_cannot_choose_it_either(world: World, reminder: Reminder) -> None:
    with pytest.raises(PatientNotFound):
        services.choose_channel(world.staff["counselor"], reminder_id=reminder.pk, channel="email")


def test_an_unknown_channel_is_refused(world: World, reminder: Reminder) -> None:
    with pytest.raises(services.ChannelInvalid):
        services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="pigeon")


def test_only_in_the_app_removes_the_delivery(world: World, reminder: Reminder) -> None:
    _by_email(world, reminder)
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="app")
    assert not Delivery.objects.exists()


def test_the_reminders_page_chooses_the_channel(world: World, reminder: Reminder) -> None:
    client = sign_in(Client(), world.alice.user)
    assert 'name="channel"' in client.get("/me/reminders/").content.decode()
    response = client.post(f"/me/reminders/{reminder.pk}/channel/", {"channel": "sms"})
    assert response.status_code == 302
    assert Delivery.objects.get().channel == "sms"


def test_a_text_message_goes_through_the_file_adapter(
    world: World, reminder: Reminder, settings: Any, tmp_path: Path
) -> None:
    settings.KEEL_SMS_BACKEND = "keel.reminders.channels.FileSms"
    settings.KEEL_SMS_FILE = tmp_path / "sms.jsonl"
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="sms")
    assert services.send_due(now=WINTER_EIGHT) == 1
    line = json.loads((tmp_path / "sms.jsonl").read_text().splitlines()[0])
    assert line["to"] == "+15555550101"
    assert "medication" not in line["body"].lower()


def test_without_an_sms_adapter_nothing_is_sent(world: World, reminder: Reminder, settings: Any) -> None:
    settings.KEEL_SMS_BACKEND = ""
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="sms")
    assert services.send_due(now=WINTER_EIGHT) == 0
    assert ReminderSend.objects.get().status == SendStatus.NO_ADDRESS


def test_a_reminder_done_today_is_not_sent(world: World, reminder: Reminder) -> None:
    _by_email(world, reminder)
    reminder.done_on = WINTER_EIGHT.date()
    reminder.save()
    assert services.send_due(now=WINTER_EIGHT) == 0


def test_a_failed_send_is_recorded_and_logged(
    world: World, reminder: Reminder, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_PORT = 1  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    settings.KEEL_REMINDER_MAX_ATTEMPTS = 1  # no retry: the first failure is the last (retries: test_retries)
    _by_email(world, reminder)
    caplog.set_level(logging.ERROR)
    assert services.send_due(now=WINTER_EIGHT) == 0
    assert ReminderSend.objects.get().status == SendStatus.FAILED
    assert "was not sent" in caplog.text
