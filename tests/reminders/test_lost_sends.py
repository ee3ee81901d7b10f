"""A reminder send whose worker stopped mid-send (killed between claiming the send and finishing it) is not
left "sending" for ever: once KEEL_REMINDER_SEND_LEASE_SECONDS have passed since its claim it counts as a
failed attempt (`WorkerLost`), as an appointment reminder's does (keel.reminders.sending, shared): tried again
after the jobs' delay and sent, or marked failed and counted by /healthz when the attempts are used up. A
send still within its lease is left to its worker and never sent twice; a lost one is never sent hours late
(the late window of keel.core.reminders)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail

from keel.recovery.models import Reminder
from keel.reminders import channels, queries, services
from keel.reminders.models import ReminderSend, SendStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db

EIGHT = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # 08:00 in New York (the program's zone)
LEASE = timedelta(seconds=600)  # KEEL_REMINDER_SEND_LEASE_SECONDS' default, as appointments use it
EMAIL = "alice@example.org"
PHONE = "+15555550101"


@pytest.fixture
def reminder(world: World) -> Reminder:
    world.alice.user.email = EMAIL
    world.alice.user.save()
    world.alice.phone = PHONE
    world.alice.save()
    reminder = Reminder.objects.create(
        patient=world.alice, kind="medication", at=time(8, 0), created_at=EIGHT
    )
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="email")
    return reminder


def _killed_mid_send(now: datetime = EIGHT) -> None:
    """A worker claims the send, then dies before it finishes (as kill -9 would: nothing after runs)."""
    with mock.patch.object(channels, "send_email", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=now)


def _row() -> ReminderSend:
    return ReminderSend.objects.get()


# --- Claimed: the claim time is kept -----------------------------------------------------------------


def test_a_claimed_send_keeps_its_claim_time(reminder: Reminder) -> None:
    _killed_mid_send()
    assert (_row().status, _row().claimed_at) == (SendStatus.SENDING, EIGHT)


def test_a_retry_is_claimed_at_its_own_time(reminder: Reminder) -> None:
    with mock.patch.object(channels, "send_email", side_effect=OSError()):
        services.send_due(now=EIGHT)
    _killed_mid_send(EIGHT + timedelta(minutes=1))
    assert _row().claimed_at == EIGHT + timedelta(minutes=1)


# --- Lost past its lease: a failed attempt, tried again and sent ------------------------------------------


def test_a_lost_send_past_its_lease_is_taken_as_a_failed_attempt(reminder: Reminder) -> None:
    _killed_mid_send()
    services.send_due(now=EIGHT + LEASE + timedelta(seconds=1))
    assert (_row().status, _row().error) == (SendStatus.RETRYING, "WorkerLost")


def test_a_lost_send_waits_the_jobs_first_delay(reminder: Reminder) -> None:
    _killed_mid_send()
    later = EIGHT + LEASE + timedelta(seconds=1)
    services.send_due(now=later)
    assert _row().next_try_at == later + timedelta(minutes=1)


def test_a_lost_send_is_sent_by_a_later_pass(reminder: Reminder) -> None:
    _killed_mid_send()
    services.send_due(now=EIGHT + timedelta(minutes=11))
    assert services.send_due(now=EIGHT + timedelta(minutes=12)) == 1
    assert (_row().status, _row().attempts, len(mail.outbox)) == (SendStatus.SENT, 2, 1)


def test_a_lost_send_once_sent_is_never_sent_again(reminder: Reminder) -> None:
    _killed_mid_send()
    for minutes in (11, 12, 13, 25, 40, 90):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert len(mail.outbox) == 1


def test_a_lost_send_on_its_last_attempt_is_marked_failed(reminder: Reminder, settings: Any) -> None:
    settings.KEEL_REMINDER_MAX_ATTEMPTS = 1
    _killed_mid_send()
    services.send_due(now=EIGHT + timedelta(minutes=15))
    assert (_row().status, _row().finished_at) == (SendStatus.FAILED, EIGHT + timedelta(minutes=15))


def test_a_lost_send_on_its_last_attempt_is_not_sent(reminder: Reminder, settings: Any) -> None:
    settings.KEEL_REMINDER_MAX_ATTEMPTS = 1
    _killed_mid_send()
    for minutes in (15, 16, 30):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert mail.outbox == []


def test_healthz_counts_a_lost_send_that_failed(reminder: Reminder, settings: Any) -> None:
    settings.KEEL_REMINDER_MAX_ATTEMPTS = 1
    _killed_mid_send()
    services.send_due(now=EIGHT + timedelta(minutes=15))
    assert queries.failed_sends(now=EIGHT + timedelta(hours=1)) == 1


def test_the_lease_is_a_setting(reminder: Reminder, settings: Any) -> None:
    settings.KEEL_REMINDER_SEND_LEASE_SECONDS = 120
    _killed_mid_send()
    services.send_due(now=EIGHT + timedelta(minutes=3))
    assert _row().status == SendStatus.RETRYING


# --- Within its lease: left to its worker ---------------------------------------------------------------


def test_a_send_still_within_its_lease_is_left_alone(reminder: Reminder) -> None:
    _killed_mid_send()
    services.send_due(now=EIGHT + timedelta(minutes=5))
    assert _row().status == SendStatus.SENDING


def test_a_send_at_the_end_of_its_lease_is_left_alone(reminder: Reminder) -> None:
    _killed_mid_send()
    services.send_due(now=EIGHT + LEASE)
    assert _row().status == SendStatus.SENDING


def test_a_send_within_its_lease_is_not_sent_again(reminder: Reminder) -> None:
    _killed_mid_send()
    for minutes in (1, 2, 5, 9):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert mail.outbox == []


class SecondWorker:
    """An adapter during whose send a second worker runs send_due, `after` the claim."""

    sent: list[str] = []
    second: list[int] = []
    after = timedelta(0)
    claimed = EIGHT

    def send(self, message: channels.Message) -> None:
        SecondWorker.second.append(services.send_due(now=SecondWorker.claimed + SecondWorker.after))
        SecondWorker.sent.append(message.to)


@pytest.fixture
def two_workers(world: World, reminder: Reminder, settings: Any) -> type[SecondWorker]:
    settings.KEEL_SMS_BACKEND = f"{__name__}.SecondWorker"
    SecondWorker.sent, SecondWorker.second = [], []
    SecondWorker.after, SecondWorker.claimed = timedelta(minutes=9), EIGHT
    services.choose_channel(world.alice.user, reminder_id=reminder.pk, channel="sms")
    return SecondWorker


def test_a_second_worker_within_the_lease_does_not_send_it_again(two_workers: type[SecondWorker]) -> None:
    services.send_due(now=EIGHT)
    assert (two_workers.sent, two_workers.second) == ([PHONE], [0])


def test_a_slow_send_within_its_lease_ends_sent(two_workers: type[SecondWorker]) -> None:
    services.send_due(now=EIGHT)
    assert (_row().status, _row().error) == (SendStatus.SENT, "")


def test_a_recovered_send_is_retried_by_one_worker_only(two_workers: type[SecondWorker]) -> None:
    """The retry of a lost send is claimed by one worker: a second worker during it sends nothing."""
    with mock.patch.object(SecondWorker, "send", side_effect=SystemExit(0)), pytest.raises(SystemExit):
        services.send_due(now=EIGHT)
    services.send_due(now=EIGHT + timedelta(minutes=11))
    two_workers.claimed = EIGHT + timedelta(minutes=12)
    assert services.send_due(now=two_workers.claimed) == 1
    assert (two_workers.sent, two_workers.second) == ([PHONE], [0])


def test_a_worker_that_ends_after_its_send_was_taken_as_lost_leaves_the_retry_alone(
    reminder: Reminder,
) -> None:
    """A worker slower than the lease (never in practice: the providers' timeouts are seconds) may not end
    the next attempt's claim: its end is written only while the row is still its attempt's."""
    row = _row_claimed_by_first_worker(reminder)
    services.send_due(now=EIGHT + timedelta(minutes=11))  # taken as lost
    _killed_mid_send(EIGHT + timedelta(minutes=12))  # the retry, claimed by another worker
    services.SENDS.finish(row, SendStatus.SENT, EIGHT + timedelta(minutes=12))  # the first one ends late
    assert (_row().status, _row().attempts) == (SendStatus.SENDING, 2)


def _row_claimed_by_first_worker(reminder: Reminder) -> ReminderSend:
    _killed_mid_send()
    return _row()


# --- Never hours late, never after a stop ---------------------------------------------------------------


def test_a_lost_send_found_after_the_late_window_is_not_sent(reminder: Reminder) -> None:
    _killed_mid_send()
    for minutes in (125, 126, 140):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert (mail.outbox, _row().status) == ([], SendStatus.STOPPED)


def test_a_lost_send_not_sent_for_lateness_keeps_its_reason(reminder: Reminder) -> None:
    _killed_mid_send()
    for minutes in (125, 126):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert _row().error == "WorkerLost"


def test_a_lost_send_of_a_reminder_stopped_meanwhile_is_not_sent(reminder: Reminder) -> None:
    _killed_mid_send()
    services.stop(reminder.delivery.stop_token)
    for minutes in (11, 12):
        services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert (mail.outbox, _row().status) == ([], SendStatus.STOPPED)


# --- The logs: a number only ----------------------------------------------------------------------------


def test_a_lost_send_is_logged_as_a_warning(reminder: Reminder, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    _killed_mid_send()
    services.send_due(now=EIGHT + timedelta(minutes=11))
    assert [r.levelno for r in caplog.records if "stopped worker" in r.getMessage()] == [logging.WARNING]


def test_the_logs_of_a_lost_send_carry_no_address_or_words(
    reminder: Reminder, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.KEEL_REMINDER_MAX_ATTEMPTS = 2
    caplog.set_level(logging.DEBUG)
    _killed_mid_send()
    for minutes in (11, 12):
        with mock.patch.object(channels, "send_email", side_effect=OSError(f"no route to {EMAIL}")):
            services.send_due(now=EIGHT + timedelta(minutes=minutes))
    assert _row().status == SendStatus.FAILED
    for secret in (EMAIL, "alice", "medication", "reminder you asked for", "no route"):
        assert secret not in caplog.text.lower()


# --- The migration: a send "sending" before it gets its lease from then ----------------------------------


def test_the_migration_starts_the_lease_of_a_send_under_way(reminder: Reminder) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("keel.reminders.migrations.0004_remindersend_claimed_at")
    _killed_mid_send()
    ReminderSend.objects.update(claimed_at=None)
    migration.claimed_now(apps, None)
    claimed_at = _row().claimed_at
    assert claimed_at is not None and claimed_at > EIGHT


def test_the_migration_leaves_finished_sends_unclaimed(reminder: Reminder) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("keel.reminders.migrations.0004_remindersend_claimed_at")
    services.send_due(now=EIGHT)
    ReminderSend.objects.update(claimed_at=None)
    migration.claimed_now(apps, None)
    assert _row().claimed_at is None
