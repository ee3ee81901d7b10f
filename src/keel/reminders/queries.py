"""Reads about reminder delivery (no patient data): counts for operations; whether a stop link is known."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from keel.reminders.models import Delivery, ReminderSend, SendStatus


def failed_sends(*, now: datetime | None = None) -> int:
    """Reminder sends FAILED in the last 7 days, appointment reminders included (/healthz reports them beside
    the failed jobs)."""
    from keel.appointments.models import AppointmentSend

    now = now or timezone.now()
    recent = {"status": SendStatus.FAILED, "finished_at__gte": now - timedelta(days=7)}
    return ReminderSend.objects.filter(**recent).count() + AppointmentSend.objects.filter(**recent).count()


def stop_link_known(token: str) -> bool:
    """Whether a stop link names a reminder delivery Keel sent (its page is offered only then)."""
    return Delivery.objects.filter(stop_token=token).exists()
