"""A failed reminder send is tried again with the jobs' delays (keel.jobs.schedule), up to
KEEL_REMINDER_MAX_ATTEMPTS, then marked failed and counted by /healthz; a permanent refusal (SMTP 5xx) is
not tried again; a sent reminder never goes out twice, also with two workers; the stored error is the
exception's class only."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.env import parse_email_url
from keel.recovery.models import Reminder
from keel.reminders import channels, queries, services
from keel.reminders.models import ReminderSend, SendStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db

EIGHT = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # 08:00 in New York
PHONE = "+15555550101"
EMAIL = "alice@example.org"


@pytest.fixture
def reminder(world: World) -> Reminder:
    world.alice.user.email = EMAIL
    world.alice.user.save()
    world.alice.phone = PHONE
    world.alice.save()
    return Reminder.objects.create(patient=world.alice, kind="medication", at=time(8, 0), created_at=EIGHT)


class Smtp:
    """An aiosmtpd server answering each DATA with the next of `answers` (the last one repeats)."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.received: list[bytes] = []
        self.tries = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = self.answers[min(self.tries, len(self.answers) - 1)]
        self.tries += 1
        if answer.startswith("250"):
            self.received.append(envelope.content)
        return answer


def _serve(handler: Smtp, settings: Any) -> Iterator[Smtp]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in parse_email_url(f"smtp://127.0.0.1:{port}?from=keel@riverside.example").items():
        setattr(settings, name, value)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def busy_then_ok(settings: Any) -> Iterator[Smtp]:
    yield from _serve(Smtp(["451 try later", "250 OK"]), settings)


@pytest.fixture
def refusing(settings: Any) -> Iterator[Smtp]:
    yield from _serve(Smtp(["554 Transaction failed"]), settings)


def _email(world: World, reminder: Reminder) -> None:
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="email")


def _row() -> ReminderSend:
    return ReminderSend.objects.get()


# --- A transient refusal (451): tried again after the first delay, then sent ---------------------------


def test_a_451_is_not_sent_yet(world: World, reminder: Reminder, busy_then_ok: Smtp) -> None:
    _email(world, reminder)
    assert services.send_due(now=EIGHT) == 0
    assert _row().status == SendStatus.RETRYING


def test_a_451_stores_the_class_only(world: World, reminder: Reminder, busy_then_ok: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    assert _row().error == "SMTPDataError"


def test_the_retry_waits_the_jobs_first_delay(world: World, reminder: Reminder, busy_then_ok: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    assert _row().next_try_at == EIGHT + timedelta(minutes=1)


def test_no_retry_before_its_time(world: World, reminder: Reminder, busy_then_ok: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    assert services.send_due(now=EIGHT + timedelta(seconds=59)) == 0
    assert busy_then_ok.tries == 1


def test_the_retry_sends_it(world: World, reminder: Reminder, busy_then_ok: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    assert services.send_due(now=EIGHT + timedelta(minutes=1)) == 1
    assert _row().status == SendStatus.SENT


def test_the_sent_row_counts_two_attempts(world: World, reminder: Reminder, busy_then_ok: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    services.send_due(now=EIGHT + timedelta(minutes=1))
    assert _row().attempts == 2


def test_once_sent_it_is_never_sent_again(world: World, reminder: Reminder, busy_then_ok: Smtp) -> None:
    _email(world, reminder)
    for minutes in (0, 1, 2, 11, 30, 90):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert len(busy_then_ok.received) == 1


def test_a_reminder_stopped_between_attempts_is_not_sent(
    world: World, reminder: Reminder, busy_then_ok: Smtp
) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    services.stop(reminder.delivery.stop_token)
    assert services.send_due(now=EIGHT + timedelta(minutes=1)) == 0
    assert _row().status == SendStatus.STOPPED


def test_a_reminder_marked_done_between_attempts_is_not_sent(
    world: World, reminder: Reminder, busy_then_ok: Smtp
) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    reminder.done_on = EIGHT.date()
    reminder.save()
    services.send_due(now=EIGHT + timedelta(minutes=1))
    assert busy_then_ok.received == []


# --- A permanent refusal (554): failed at once, counted -------------------------------------------------


def test_a_554_fails_at_once(world: World, reminder: Reminder, refusing: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    assert _row().status == SendStatus.FAILED


def test_a_554_is_not_tried_again(world: World, reminder: Reminder, refusing: Smtp) -> None:
    _email(world, reminder)
    for minutes in (0, 1, 11, 21):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert refusing.tries == 1


def test_a_554_stores_no_address(world: World, reminder: Reminder, refusing: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    assert _row().error == "SMTPDataError"


def test_healthz_counts_failed_reminders(world: World, reminder: Reminder, refusing: Smtp) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    with time_machine.travel(EIGHT + timedelta(hours=1), tick=False):
        assert Client().get("/healthz").json()["failed_reminders"] == 1


def test_healthz_keeps_its_fields(world: World) -> None:
    body = Client().get("/healthz").json()
    assert {"status", "database", "worker", "failed_jobs", "failed_reminders"} <= set(body)


def test_failed_sends_older_than_a_week_are_not_counted(
    world: World, reminder: Reminder, refusing: Smtp
) -> None:
    _email(world, reminder)
    services.send_due(now=EIGHT)
    assert queries.failed_sends(now=EIGHT + timedelta(days=8)) == 0


# --- An SMS adapter that raises: bounded retries, then failed --------------------------------------------


class Broken:
    calls = 0

    def send(self, message: channels.Message) -> None:
        Broken.calls += 1
        raise ConnectionError(f"could not reach the provider for {message.to}: {message.body}")


@pytest.fixture
def broken_sms(world: World, reminder: Reminder, settings: Any) -> type[Broken]:
    settings.KEEL_SMS_BACKEND = f"{__name__}.Broken"
    Broken.calls = 0
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="sms")
    return Broken


def _run_for(minutes: int) -> None:
    for minute in range(minutes + 1):
        services.send_due(now=EIGHT + timedelta(minutes=minute))


def test_a_raising_adapter_is_tried_the_bounded_number_of_times(broken_sms: type[Broken]) -> None:
    _run_for(60)
    assert broken_sms.calls == 3  # KEEL_REMINDER_MAX_ATTEMPTS' default


def test_after_the_last_attempt_the_send_is_failed(broken_sms: type[Broken]) -> None:
    _run_for(60)
    assert _row().status == SendStatus.FAILED


def test_the_attempts_are_counted(broken_sms: type[Broken]) -> None:
    _run_for(60)
    assert _row().attempts == 3


def test_the_attempts_follow_the_jobs_delays(broken_sms: type[Broken]) -> None:
    services.send_due(now=EIGHT)
    services.send_due(now=EIGHT + timedelta(minutes=1))
    assert _row().next_try_at == EIGHT + timedelta(minutes=11)


def test_the_bound_is_a_setting(broken_sms: type[Broken], settings: Any) -> None:
    settings.KEEL_REMINDER_MAX_ATTEMPTS = 5
    _run_for(60)
    assert broken_sms.calls == 5


def test_the_error_is_the_class_without_number_or_words(broken_sms: type[Broken]) -> None:
    _run_for(60)
    assert _row().error == "ConnectionError"


def test_the_logs_carry_no_number_or_words(
    broken_sms: type[Broken], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _run_for(60)
    assert PHONE not in caplog.text
    assert "reminder you asked for" not in caplog.text


def test_the_last_failure_is_logged_as_an_error(
    broken_sms: type[Broken], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    _run_for(60)
    assert [r.levelno for r in caplog.records if "not sent after" in r.getMessage()] == [logging.ERROR]


# --- Two workers at once -------------------------------------------------------------------------------


class SecondWorker:
    """An adapter during whose send a second worker runs send_due at the same moment."""

    sent: list[str] = []
    fail_first = False
    now = EIGHT
    second: list[int] = []

    def send(self, message: channels.Message) -> None:
        SecondWorker.second.append(services.send_due(now=SecondWorker.now))
        if SecondWorker.fail_first and len(SecondWorker.second) == 1:
            raise TimeoutError()
        SecondWorker.sent.append(message.to)


@pytest.fixture
def two_workers(world: World, reminder: Reminder, settings: Any) -> type[SecondWorker]:
    settings.KEEL_SMS_BACKEND = f"{__name__}.SecondWorker"
    SecondWorker.sent, SecondWorker.second, SecondWorker.fail_first = [], [], False
    SecondWorker.now = EIGHT
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="sms")
    return SecondWorker


def test_a_second_worker_does_not_send_the_first_attempt_again(two_workers: type[SecondWorker]) -> None:
    services.send_due(now=EIGHT)
    assert two_workers.sent == [PHONE]


def test_a_second_worker_does_not_send_a_retry_again(two_workers: type[SecondWorker]) -> None:
    two_workers.fail_first = True
    services.send_due(now=EIGHT)
    two_workers.now = EIGHT + timedelta(minutes=1)
    services.send_due(now=two_workers.now)
    assert two_workers.sent == [PHONE]


def test_the_second_worker_sends_nothing(two_workers: type[SecondWorker]) -> None:
    two_workers.fail_first = True
    services.send_due(now=EIGHT)
    two_workers.now = EIGHT + timedelta(minutes=1)
    services.send_due(now=two_workers.now)
    assert two_workers.second == [0, 0]
