"""Review 16a: the reminder send lease (`keel.reminders.sending.Sends`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from keel.patients.models import zone_of
from keel.recovery.models import Reminder
from keel.reminders import channels
from keel.reminders import services as reminder_services
from keel.reminders.models import Delivery, ReminderSend

pytestmark = pytest.mark.django_db


def test_a_claim_is_timed_when_it_is_made_not_when_the_loop_began(world: Any, monkeypatch: Any) -> None:
    """`send_due` reads the clock once and claims every send of its loop with that time (`claimed_at=now`).
    When the loop is slow (the provider times out: 20 s an email, 5 + 15 s a text, so 30 due reminders take
    the whole 600 s lease), a send claimed late in the loop is already "older than the lease" the moment it
    is claimed: a second worker's `recover_lost` takes it from the live worker as WorkerLost, the live
    worker's end is not written (not its attempt any more), and the retry sends the same reminder again.
    Safe: each reminder goes out once; a send claimed a moment ago is never recovered as lost."""
    start = timezone.now()
    alice = world.alice
    alice.user.email = "alice@example.org"
    alice.user.save(update_fields=["email"])
    local = (start - timedelta(minutes=5)).astimezone(zone_of(alice))
    first = Reminder.objects.create(patient=alice, kind="medication", at=local.time(), created_at=start)
    second = Reminder.objects.create(patient=alice, kind="checkin", at=local.time(), created_at=start)
    d1 = Delivery.objects.create(reminder=first, channel="email")
    d2 = Delivery.objects.create(reminder=second, channel="email")
    sent: list[str] = []
    with time_machine.travel(start, tick=False) as clock:

        def slow_provider(message: channels.Message) -> None:
            sent.append(message.stop_url)
            if len(sent) == 1:
                clock.shift(timedelta(seconds=700))  # the first message took long (timeouts, a slow relay)
            else:  # meanwhile another worker's loop recovers lost sends at its clock
                reminder_services.SENDS.recover_lost(timezone.now())

        monkeypatch.setattr(channels, "send_email", slow_provider)
        reminder_services.send_due()
        clock.shift(timedelta(minutes=2))
        reminder_services.send_due()  # the next tick: any retry that is due goes out
    per_delivery = {d.stop_token: sum(d.stop_token in url for url in sent) for d in (d1, d2)}
    statuses = sorted(ReminderSend.objects.values_list("status", flat=True))
    assert per_delivery == {d1.stop_token: 1, d2.stop_token: 1} and statuses == ["sent", "sent"], (
        per_delivery,
        statuses,
    )


def test_a_lost_appointment_reminder_is_not_sent_hours_late(world: Any, monkeypatch: Any) -> None:
    """A person's own reminder recovered from a dead worker is sent only inside its 2-hour late window
    (`reminders.services._try_again`); an appointment reminder's retry (`appointments.services._try_again`)
    checks only that the visit has not begun. The worker dies mid-send of the 19:00 day-before reminder and
    comes back at 04:00: the lease recovers the send and the retry texts/emails the person at 04:02 local,
    nine hours late (a message at night on a shared phone). Safe: past the late window it is stopped."""
    from datetime import UTC, datetime, time

    from keel.appointments import services as appointment_services
    from keel.appointments.models import Appointment, AppointmentSend, ReminderChoice

    alice = world.alice
    alice.user.email = "alice@example.org"
    alice.user.save(update_fields=["email"])
    # Riverside is America/New_York (EST, -05:00, in March before the change): a visit at 14:00 local
    starts = datetime(2027, 3, 4, 19, 0, tzinfo=UTC)
    created = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    visit = Appointment.objects.create(
        patient=alice,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        kind="counseling",
        created_by=world.staff["program_admin"],
        created_at=created,
        updated_at=created,
    )
    ReminderChoice.objects.create(patient=alice, channel="email", day_before_at=time(19, 0))
    due = datetime(2027, 3, 4, 0, 0, tzinfo=UTC)  # 19:00 local, the evening before
    AppointmentSend.objects.create(  # claimed by a worker killed mid-send
        appointment=visit,
        slot="day_before",
        starts_at=starts,
        version=visit.version,
        channel="email",
        status="sending",
        sent_at=due + timedelta(seconds=20),
        attempts=1,
        claimed_at=due + timedelta(seconds=20),
    )
    sent: list[str] = []
    monkeypatch.setattr(channels, "send_email", lambda message: sent.append(message.to))
    back = datetime(2027, 3, 4, 9, 0, tzinfo=UTC)  # 04:00 local: the worker runs again
    appointment_services.send_due(now=back)
    appointment_services.send_due(now=back + timedelta(minutes=2))
    row = AppointmentSend.objects.get(appointment=visit)
    assert sent == [] and row.status == "stopped", (sent, row.status)


def test_a_reminder_deleted_as_its_retry_is_claimed_does_not_stop_the_worker(
    world: Any, monkeypatch: Any
) -> None:
    """`retry_due` claims a retry (RETRYING -> SENDING), then `_try_again` reads the row with `.get()`. The
    person deletes the reminder in between (its sends go with it, CASCADE): DoesNotExist escapes `send_due`,
    and the worker loop (`manage.py worker`: no except around it) ends, for every program's jobs and
    reminders. Safe: that send is skipped, the loop goes on."""
    start = timezone.now()
    alice = world.alice
    alice.user.email = "alice@example.org"
    alice.user.save(update_fields=["email"])
    local = (start - timedelta(minutes=30)).astimezone(zone_of(alice))
    reminder = Reminder.objects.create(patient=alice, kind="medication", at=local.time(), created_at=start)
    Delivery.objects.create(reminder=reminder, channel="email")
    ReminderSend.objects.create(
        reminder=reminder,
        local_date=local.date(),
        channel="email",
        status="retrying",
        sent_at=start - timedelta(minutes=20),
        attempts=1,
        next_try_at=start - timedelta(minutes=1),
    )
    original = reminder_services._try_again

    def deleted_meanwhile(row_id: int, sms: Any, now: Any) -> bool:
        Reminder.objects.filter(pk=reminder.pk).delete()  # the person taps delete at this moment
        return original(row_id, sms, now)

    monkeypatch.setattr(reminder_services, "_try_again", deleted_meanwhile)
    monkeypatch.setattr(channels, "send_email", lambda message: None)
    reminder_services.send_due(now=start)  # must not raise
