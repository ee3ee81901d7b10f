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
    SENDING = "sending"  # claimed by one worker, attempt under way
    RETRYING = "retrying"  # an attempt failed; the next is due at next_try_at
    SENT = "sent"
    FAILED = "failed"  # a permanent refusal, or KEEL_REMINDER_MAX_ATTEMPTS used up; /healthz counts these
    NO_ADDRESS = "no_address"
    STOPPED = "stopped"  # stopped (or done) between two attempts: not sent


class ReminderSend(models.Model):
    """One reminder on one local day: the unique (reminder, day) row is inserted before sending, so two
    workers never send the same reminder twice on a day. A failed attempt is tried again after the delays of
    keel.jobs.schedule, up to KEEL_REMINDER_MAX_ATTEMPTS; each attempt is claimed by one conditional update
    (RETRYING -> SENDING), so a retry, too, is made by one worker only, and a SENT row is never sent again.
    A send left "sending" past KEEL_REMINDER_SEND_LEASE_SECONDS after its claim (its worker stopped mid-send)
    counts as a failed attempt (keel.reminders.sending, shared with `appointments.AppointmentSend`)."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="sends")
    local_date = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=SendStatus.choices)
    error = models.CharField(max_length=200, blank=True)  # the exception's class only
    sent_at = models.DateTimeField()  # the first attempt
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)  # RETRYING: when the next attempt is due
    claimed_at = models.DateTimeField(null=True, blank=True)  # when the current attempt was claimed
    finished_at = models.DateTimeField(null=True, blank=True)  # SENT or FAILED: when

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "local_date"],
                name="reminder_send_once_a_day",
                violation_error_message="This reminder already went out that day.",
            )
        ]
        # /healthz counts the failed sends of the last 7 days on every probe (keel.web.health): an index
        # search, not a scan of every send ever made (issue #21).
        indexes = [models.Index(fields=["status", "finished_at"], name="remindersend_status_finished")]

    def __str__(self) -> str:
        return f"reminder send {self.pk}"
