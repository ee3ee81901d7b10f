"""An account of one's own (issue #20): sign-up limits, the code a program gives to link an account to its
record, and the consent a person signs to bring their self-guided history to that program."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class SignupBucket(models.Model):
    """A token bucket, in the database so every process shares it (healthchecks' TokenBucket), keyed by what
    it limits (`keel.selfguided.limits`): a visitor's sign-ups (an HMAC of the address, never the address
    itself), a live activation code's or an open invitation's tries (`activation:<id>`, `invitation:<id>`, the
    row's id, never the code), an account's join tries (`join:<id>`). A full bucket's row is pruned."""

    key = models.CharField(max_length=64, unique=True)
    tokens = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sign-up bucket {self.pk}"


class LinkCode(models.Model):
    """A one-time code a care team gives a person so that their own account joins this record. Only a
    SHA-256 digest is stored; it expires, and it is used once."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="link_code_expires_after_creation",
                violation_error_message="A code must expire after it is made.",
            )
        ]

    def __str__(self) -> str:
        return f"link code {self.pk}"


class HistoryConsent(models.Model):
    """What a self-guided person signed when their account joined a program: whether their history came with
    them, which parts, the words they read, and their typed signature. Never edited."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey("accounts.Program", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    bring_history = models.BooleanField()
    categories = models.JSONField(default=list)  # what was brought: checkins, thought_records, ...
    moved = models.JSONField(default=dict)  # how many of each came
    words = models.TextField()  # the text the person read, in their language
    language = models.CharField(max_length=8)
    signature = models.CharField(max_length=200)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(signature=""),
                name="history_consent_signed",
                violation_error_message="A consent needs a signature.",
            )
        ]

    def __str__(self) -> str:
        return f"history consent {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A signed consent is never edited.")
        super().save(*args, **kwargs)
