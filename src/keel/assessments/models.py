"""A completed instrument for one patient: the answers, the computed result and who filled it when."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from keel.accounts.models import Program
from keel.patients.models import Patient

SCORER_VERSION = "1"  # bump when keel.core.instruments.scoring changes how a result is computed


class Assessment(models.Model):
    """Stored answers and their result; reproducible from instrument, version, answers and extras."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=16)
    scorer_version = models.CharField(max_length=16, default=SCORER_VERSION)
    answers = models.JSONField()
    extras = models.JSONField(default=dict, blank=True)
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    result = models.JSONField()
    filled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filled_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["filled_at", "id"]
        indexes = [models.Index(fields=["patient", "instrument", "filled_at"], name="assessment_series")]

    def __str__(self) -> str:
        return f"{self.instrument} #{self.pk}"
