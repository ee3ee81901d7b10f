"""Review 17c: one bad row must not stop every program's reminders."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.core import mail
from django.utils import timezone

from keel.recovery.models import Reminder
from keel.reminders import services
from keel.reminders.models import Channel, Delivery

pytestmark = pytest.mark.django_db


def _reminder(patient, at):
    return Reminder.objects.create(patient=patient, kind="checkin", at=at, created_at=timezone.now())


def test_a_program_with_a_bad_time_zone_does_not_stop_other_programs_reminders(world, settings):
    """Scenario: Program.time_zone is a free CharField (no validator); one program's admin row holds a
    typo ("America/New York"). At 13:00 UTC, that program's patient (Alicia, at an earlier place in the
    loop: reminder at 08:00) and another program's patient (Charlotte, 09:00 New York, due) both have an
    email reminder. Today `zone_of` raises ZoneInfoNotFoundError inside the shared loop, the whole
    `send_due` step raises on every tick, and Charlotte's reminder (and every retry/lease recovery) never
    goes out, in every program. Safe: the bad row is skipped and Charlotte's reminder is sent."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.riverside.time_zone = "America/New York"  # typo: space instead of underscore
    world.riverside.save()
    charlie = world.charlie
    charlie.user.email = "c@example.org"
    charlie.user.save()
    world.alice.user.email = "a@example.org"
    world.alice.user.save()
    Delivery.objects.create(reminder=_reminder(world.alice, time(8, 0)), channel=Channel.EMAIL)
    Delivery.objects.create(reminder=_reminder(charlie, time(9, 0)), channel=Channel.EMAIL)
    now = datetime(2027, 3, 1, 14, 30, tzinfo=UTC)  # 09:30 in New York
    sent = services.send_due(now=now)
    assert sent == 1
    assert [m.to for m in mail.outbox] == [["c@example.org"]]
