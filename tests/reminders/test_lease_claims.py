"""The send lease's clock (issue #17, review 16a): each claim is timed when it is made, not when the loop
began (`keel.reminders.sending.clock`), so a loop slowed by the providers' timeouts never claims a send
"older than the lease" and no other worker takes it as lost; two workers, a clock stepping back, a reminder
edited, stopped or deleted as it is claimed, and a "sending" row with no claim time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine

from keel.recovery.models import Reminder
from keel.reminders import channels, sending, services
from keel.reminders.models import Delivery, ReminderSend, SendStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db

EIGHT = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)  # 08:00 in New York (the program's zone)
LEASE = timedelta(seconds=600)  # KEEL_REMINDER_SEND_LEASE_SECONDS' default


@pytest.fixture
def two(world: World) -> list[Reminder]:
    """Alice's two reminders at 08:00, both by email."""
    world.alice.user.email = "alice@example.org"
    world.alice.user.save(update_fields=["email"])
    reminders = [
        Reminder.objects.create(patient=world.alice, kind=kind, at=time(8, 0), created_at=EIGHT)
        for kind in ("medication", "checkin")
    ]
    for reminder in reminders:
        Delivery.objects.create(reminder=reminder, channel="email")
    return reminders


def _provider(monkeypatch: Any, on_send: Callable[[int], None] = lambda n: None) -> list[str]:
    """The email provider: records each message's stop link; `on_send(n)` runs as the n-th goes out."""
    sent: list[str] = []

    def send(message: channels.Message) -> None:
        sent.append(message.stop_url)
        on_send(len(sent))

    monkeypatch.setattr(channels, "send_email", send)
    return sent


def _each_once(sent: list[str]) -> bool:
    tokens = Delivery.objects.values_list("stop_token", flat=True)
    return sorted(sum(t in url for url in sent) for t in tokens) == [1] * len(tokens)


def test_each_claim_is_timed_when_it_is_made(two: list[Reminder], monkeypatch: Any) -> None:
    with time_machine.travel(EIGHT, tick=False) as clock:
        _provider(monkeypatch, lambda n: clock.shift(timedelta(seconds=700)))
        assert services.send_due() == 2
    claims = sorted(ReminderSend.objects.values_list("claimed_at", "finished_at"))
    # the second is claimed when the first has ended, 700 s later (not at 08:00, when the loop began)
    assert claims == [
        (EIGHT, EIGHT + timedelta(seconds=700)),
        (EIGHT + timedelta(seconds=700), EIGHT + timedelta(seconds=1400)),
    ]


def test_a_fixed_now_is_kept_for_every_step(two: list[Reminder], monkeypatch: Any) -> None:
    _provider(monkeypatch)
    services.send_due(now=EIGHT)
    assert set(ReminderSend.objects.values_list("claimed_at", "finished_at")) == {(EIGHT, EIGHT)}


def test_a_second_worker_during_a_slow_loop_sends_nothing_twice(
    two: list[Reminder], monkeypatch: Any
) -> None:
    """Worker A's first message takes 300 s (within the lease: one attempt is bounded by the providers'
    timeouts); meanwhile worker B runs a whole pass (sends what A has not claimed yet, recovers lost
    sends): each reminder goes out once, both rows end "sent"."""
    with time_machine.travel(EIGHT, tick=False) as clock:

        def slow_then_b(n: int) -> None:
            if n == 1:
                clock.shift(timedelta(seconds=300))
                services.send_due()  # worker B

        sent = _provider(monkeypatch, slow_then_b)
        services.send_due()  # worker A
        clock.shift(LEASE * 2)
        services.send_due()
    assert _each_once(sent)
    assert list(ReminderSend.objects.values_list("status", flat=True)) == [SendStatus.SENT] * 2


def test_a_clock_stepping_back_neither_resends_nor_takes_a_live_send(
    two: list[Reminder], monkeypatch: Any
) -> None:
    """The clock steps back an hour (NTP) during the first message: the second reminder is not due yet by
    the clock; it goes out once when it is, and the first is never taken as lost."""
    with time_machine.travel(EIGHT, tick=False) as clock:
        sent = _provider(monkeypatch, lambda n: clock.shift(timedelta(hours=-1)) if n == 1 else None)
        assert services.send_due() == 1
        clock.move_to(EIGHT + timedelta(minutes=1))
        assert services.send_due() == 1
        clock.move_to(EIGHT + LEASE * 3)
        assert services.send_due() == 0
    assert _each_once(sent)
    assert list(ReminderSend.objects.values_list("status", flat=True)) == [SendStatus.SENT] * 2


def test_a_send_claimed_in_the_future_of_a_clock_behind_is_not_taken_as_lost(two: list[Reminder]) -> None:
    """A worker whose clock is behind sees a claim "in the future": it is left alone, not recovered."""
    row = ReminderSend.objects.create(
        reminder=two[0],
        local_date=EIGHT.date(),
        channel="email",
        status="sending",
        sent_at=EIGHT,
        attempts=1,
        claimed_at=EIGHT,
    )
    services.SENDS.recover_lost(EIGHT - timedelta(hours=1))
    row.refresh_from_db()
    assert row.status == SendStatus.SENDING


def _then(monkeypatch: Any, change: Callable[[Any], None]) -> None:
    """`change(row)` runs just after a send is claimed, before its message goes out."""
    original = sending.Sends.claim_new

    def claim_then_change(self: Any, **kwargs: Any) -> Any:
        row = original(self, **kwargs)
        if row is not None:
            change(row)
        return row

    monkeypatch.setattr(sending.Sends, "claim_new", claim_then_change)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda row: Reminder.objects.filter(pk=row.reminder_id).update(at=time(12, 0)), id="moved"
        ),
        pytest.param(lambda row: Delivery.objects.filter(reminder=row.reminder_id).delete(), id="stopped"),
        pytest.param(lambda row: Reminder.objects.filter(pk=row.reminder_id).update(active=False), id="off"),
        pytest.param(
            lambda row: Delivery.objects.filter(reminder=row.reminder_id).update(channel="sms"), id="channel"
        ),
    ],
)
def test_a_reminder_changed_as_it_is_claimed_is_not_sent(
    two: list[Reminder], monkeypatch: Any, change: Callable[[Any], None]
) -> None:
    sent = _provider(monkeypatch)
    _then(monkeypatch, change)
    assert services.send_due(now=EIGHT) == 0
    assert sent == []
    assert list(ReminderSend.objects.values_list("status", flat=True)) == [SendStatus.STOPPED] * 2


def test_a_reminder_deleted_as_it_is_claimed_is_skipped(two: list[Reminder], monkeypatch: Any) -> None:
    sent = _provider(monkeypatch)
    _then(monkeypatch, lambda row: Reminder.objects.filter(pk=row.reminder_id).delete())
    assert services.send_due(now=EIGHT) == 0  # no DoesNotExist
    assert sent == [] and not ReminderSend.objects.exists()


def test_a_sending_row_with_no_claim_time_gets_a_lease_from_when_it_is_seen(two: list[Reminder]) -> None:
    row = ReminderSend.objects.create(
        reminder=two[0],
        local_date=EIGHT.date(),
        channel="email",
        status="sending",
        sent_at=EIGHT,
        attempts=1,
        claimed_at=None,
    )
    seen = EIGHT + timedelta(minutes=1)
    services.SENDS.recover_lost(seen)
    row.refresh_from_db()
    assert (row.status, row.claimed_at) == (SendStatus.SENDING, seen)  # not taken at once
    services.SENDS.recover_lost(seen + LEASE)
    row.refresh_from_db()
    assert row.status == SendStatus.SENDING
    services.SENDS.recover_lost(seen + LEASE + timedelta(seconds=1))
    row.refresh_from_db()
    assert (row.status, row.error) == (SendStatus.RETRYING, "WorkerLost")  # not stuck for ever
