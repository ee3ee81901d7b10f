"""Reads about reminder delivery (no patient data: counts for operations)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from keel.reminders.models import ReminderSend, SendStatus


def failed_sends(*, now: datetime | None = None) -> int:
    """Reminder sends FAILED in the last 7 days (/healthz reports them beside the failed jobs)."""
    now = now or timezone.now()
    return ReminderSend.objects.filter(
        status=SendStatus.FAILED, finished_at__gte=now - timedelta(days=7)
    ).count()
