"""The recovery companion's records: daily check-ins, thought records, skill tries, the plan, reminders,
meeting attendance, and the idempotency keys that make phone writes safe to retry.

Free text a person writes here (check-in notes, thought records, the plan) is stored only encrypted
(`keel.crypto`, AEAD bound to the patient and purpose); numbers and choices stay queryable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keel.patients.models import Patient


class Medication(models.TextChoices):
    TAKEN = "taken", _("Yes, as prescribed")
    MISSED = "missed", _("Missed")
    NOT_ON = "not_on_medication", _("Not on medication")


class CheckIn(models.Model):
    """One check-in per patient per local day (the program's time zone); editable that day only."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins")
    local_date = models.DateField()
    craving = models.PositiveSmallIntegerField()
    mood = models.PositiveSmallIntegerField()  # 1 = very bad ... 5 = very good
    used = models.BooleanField()
    used_what = models.JSONField(default=list)
    used_how = models.JSONField(default=list)
    medication = models.CharField(max_length=20, choices=Medication.choices)
    meeting = models.BooleanField(default=False)
    counseling = models.BooleanField(default=False)
    triggers = models.JSONField(default=list)
    sleep = models.CharField(max_length=8, blank=True)
    private = models.BinaryField(null=True)  # encrypted {"note", "trigger_other"}
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-local_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "local_date"],
                name="checkin_one_per_day",
                violation_error_message="There is already a check-in for this day.",
            ),
            models.CheckConstraint(
                condition=Q(craving__gte=0, craving__lte=10),
                name="checkin_craving_0_10",
                violation_error_message="Craving runs from 0 to 10.",
            ),
            models.CheckConstraint(
                condition=Q(mood__gte=1, mood__lte=5),
                name="checkin_mood_1_5",
                violation_error_message="Mood runs from 1 to 5.",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk}"


class IdempotencyKey(models.Model):
    """A client's key for one write: a replay gets the first response; another body is refused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    scope = models.CharField(max_length=40)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.BinaryField()  # encrypted: the first response holds the person's own words
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                name="idempotency_key_unique",
                violation_error_message="This key was already used.",
            )
        ]

    def __str__(self) -> str:
        return f"idempotency key {self.pk}"


class ThoughtRecord(models.Model):
    """A CBT thought record. Every text field is encrypted together in `content`."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="thought_records")
    checkin = models.ForeignKey(CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    content = models.BinaryField()
    intensity_before = models.PositiveSmallIntegerField()
    intensity_after = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "created_at"], name="thought_patient_time")]

    def __str__(self) -> str:
        return f"thought record {self.pk}"


class SkillTry(models.Model):
    """'Tried it — did it help?' for one coping skill."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="skill_tries")
    skill = models.CharField(max_length=40)
    helped = models.CharField(max_length=10)  # yes | a_little | no
    tried_at = models.DateTimeField()

    class Meta:
        ordering = ["-tried_at"]
        indexes = [models.Index(fields=["patient", "skill"], name="skilltry_patient_skill")]

    def __str__(self) -> str:
        return f"skill try {self.pk}"


class RecoveryPlan(models.Model):
    """The relapse-prevention plan, one per patient, encrypted as a whole; `version` guards stale edits."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="recovery_plan")
    content = models.BinaryField()
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"recovery plan {self.pk}"


class ReminderKind(models.TextChoices):
    MEDICATION = "medication", _("Take my medication")
    CHECKIN = "checkin", _("Check in")
    MEETING = "meeting", _("Go to a meeting")


class Reminder(models.Model):
    """A reminder shown in the app at the patient's chosen local time (an SMS or push adapter can deliver
    the same due reminders later; see keel.recovery.reminders)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    at = models.TimeField()
    active = models.BooleanField(default=True)
    done_on = models.DateField(null=True, blank=True)  # the last local day it was marked done
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "at"],
                name="reminder_unique",
                violation_error_message="You already have this reminder at this time.",
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.pk}"


class MeetingAttendance(models.Model):
    """A meeting the person went to, logged in one tap (from the directory or by name)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="meeting_attendance")
    meeting = models.ForeignKey(
        "directory.Meeting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    local_date = models.DateField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-local_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "meeting", "local_date"],
                name="attendance_once_per_day",
                violation_error_message="This meeting is already logged for today.",
            )
        ]
        indexes = [models.Index(fields=["patient", "local_date"], name="attendance_patient_day")]

    def __str__(self) -> str:
        return f"attendance {self.pk}"


def silence_over() -> Q:
    """Lane fix35e (review 35e H7): the silence flags (a filter on PatientFlag) whose silence is over: she
    has checked in after the check-in the flag cites (its source, the last check-in before the silence,
    `recovery.services.flags.scan_for_silence`). Such a flag ranks no one on the caseload; it stays open on
    her record for the care team to close."""
    cited_day = CheckIn.objects.filter(pk=models.OuterRef(models.OuterRef("source_id"))).values("local_date")
    later = CheckIn.objects.filter(
        patient_id=models.OuterRef("patient_id"), local_date__gt=models.Subquery(cited_day[:1])
    )
    return Q(kind="silence", source_type="checkin_silence") & Q(models.Exists(later))
