"""Delivering the reminders a person set in the recovery companion (`recovery.Reminder`, the one definition
of a reminder: what and when) outside the app: the channel they chose, and each one sent."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from keel.recovery.models import Reminder


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


def _token() -> str:
    return secrets.token_urlsafe(24)


class Delivery(models.Model):
    """This reminder also goes out by `channel` at its time. Deleted by the one-tap stop link."""

    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, related_name="delivery")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # The stop link's secret: whoever holds a message may stop that reminder's messages, nothing else.
    stop_token = models.CharField(max_length=64, unique=True, default=_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"delivery {self.pk}"


class SendStatus(models.TextChoices):
    SENT = "sent"
    FAILED = "failed"
    NO_ADDRESS = "no_address"


class ReminderSend(models.Model):
    """One reminder on one local day: the unique (reminder, day) row is inserted before sending, so two
    workers never send the same reminder twice on a day."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="sends")
    local_date = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=SendStatus.choices)
    error = models.CharField(max_length=200, blank=True)  # the exception's class only
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "local_date"],
                name="reminder_send_once_a_day",
                violation_error_message="This reminder already went out that day.",
            )
        ]

    def __str__(self) -> str:
        return f"reminder send {self.pk}"
