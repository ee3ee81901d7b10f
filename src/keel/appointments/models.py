"""Appointments the care team schedules for a patient, the patient's choice of appointment reminders, and
each reminder sent (once per appointment, slot and move)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from keel.core.appointments import DAY_BEFORE, HOURS_BEFORE
from keel.patients.models import Patient
from keel.reminders.models import Channel, SendStatus


class Kind(models.TextChoices):
    COUNSELING = "counseling", _("Counseling")
    PRESCRIBER = "prescriber", _("Prescriber visit")
    GROUP = "group", _("Group")
    INTAKE = "intake", _("Intake")


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    ATTENDED = "attended", _("Attended")
    MISSED = "missed", _("Missed")


class Appointment(models.Model):
    """One visit: its start and end (aware; entered as local times in the program's zone), its kind, with
    whom (a staff member of the program, or no one named), and its status."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    with_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    # One more each time the start moves: each reminder goes out once per (slot, version), so a visit moved
    # and moved back to its first time is reminded of that time again.
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["status", "starts_at"], name="appointment_status_start")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "starts_at"],
                condition=Q(status="scheduled"),
                name="appointment_one_at_a_time",
                violation_error_message="This person already has an appointment at this time.",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="appointment_ends_after_start",
                violation_error_message="An appointment ends after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk}"


def _token() -> str:
    return secrets.token_urlsafe(24)


class ReminderChoice(models.Model):
    """The patient gets appointment reminders by `channel`: the day before at `day_before_at` (their local
    time) and/or `hours_before` hours before. No row: no appointment reminders. Deleted by the stop link."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="appointment_reminders")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    day_before_at = models.TimeField(null=True, blank=True)
    hours_before = models.PositiveSmallIntegerField(null=True, blank=True)
    stop_token = models.CharField(max_length=64, unique=True, default=_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(day_before_at__isnull=False) | Q(hours_before__isnull=False),
                name="appointment_reminder_has_a_time",
                violation_error_message="Choose at least one time for appointment reminders.",
            ),
        ]

    def __str__(self) -> str:
        return f"appointment reminders {self.pk}"


class Slot(models.TextChoices):
    DAY_BEFORE_SLOT = DAY_BEFORE, _("The day before")
    HOURS_BEFORE_SLOT = HOURS_BEFORE, _("Hours before")


class AppointmentSend(models.Model):
    """One reminder of one appointment: the unique (appointment, slot, version) row is inserted before
    sending, so two workers never send it twice; each move of the appointment has a new version and so its
    own reminder (a move back to an earlier time, too). Retried like a `reminders.ReminderSend` (the same
    statuses and delays); a send left "sending" past KEEL_REMINDER_SEND_LEASE_SECONDS (its worker stopped
    mid-send) counts as a failed attempt."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="sends")
    slot = models.CharField(max_length=12, choices=Slot.choices)
    starts_at = models.DateTimeField()  # the appointment's start this reminder is about
    version = models.PositiveIntegerField(default=0)  # the appointment's version this reminder is about
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=SendStatus.choices)
    error = models.CharField(max_length=200, blank=True)  # the exception's class only
    sent_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when the current attempt was claimed
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "slot", "version"],
                name="appointment_send_once_per_move",
                violation_error_message="This appointment reminder already went out.",
            )
        ]
        # /healthz counts the failed sends of the last 7 days on every probe (keel.web.health): an index
        # search, not a scan of every send ever made (issue #21).
        indexes = [models.Index(fields=["status", "finished_at"], name="apptsend_status_finished")]

    def __str__(self) -> str:
        return f"appointment send {self.pk}"
