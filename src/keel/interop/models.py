"""Where a record that came from another system came from (FHIR Provenance), kept with what Keel filed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from keel.accounts.models import Program
from keel.assessments.models import Assessment

# Lane priv34: a later filing of a response already filed (before lane fix33f's rule) is taken off the rule by
# `keel interop duplicate-imports --resolve`: its `sender_id` emptied, the id kept in a note under this key.
KEPT_ID = "sender_id"


class _Filings(models.Manager["ImportedResponse"]):
    """`create` gives a filing its program (the assessment's person's) when the row is made, and only then:
    no code writes a program onto an existing row (tests/patients/test_care_gap_program_move.py)."""

    def create(self, **kwargs: Any) -> ImportedResponse:
        if "program" not in kwargs and "program_id" not in kwargs:
            assessment_id: int = kwargs.get("assessment_id") or kwargs["assessment"].pk
            kwargs["program_id"] = Assessment.objects.filter(pk=assessment_id).values_list(
                "patient__program_id", flat=True
            )[0]
        return super().create(**kwargs)


class ImportedResponse(models.Model):
    """A QuestionnaireResponse received from another system and filed as an assessment: the sending system,
    its id for the response, the subject and author as it named them, how Keel matched the subject to the
    patient, and what Keel noticed (the sender's total when it disagreed, item 10 of the PHQ-9).
    Never edited."""

    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="imported_from")
    # The program of the person it was filed for (review 34b H5): a response is filed once per program; a
    # second program treating her files its own copy. Always the assessment's patient's (`_Filings.create`).
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    # The sender's key it was filed under (`fhir_import.sender_keys`' first): the identifier's system and
    # value, or meta.source (without its #fragment) and the response's id.
    sender_system = models.CharField(max_length=500, blank=True)
    sender_id = models.CharField(max_length=200, blank=True)
    subject = models.JSONField()  # the sender's Reference to the subject, as sent
    author = models.JSONField(default=dict, blank=True)  # the sender's Reference to the author, as sent
    questionnaire = models.CharField(max_length=500, blank=True)  # the canonical it named
    authored = models.CharField(max_length=40)  # `authored` as sent (a date-only one stays a date)
    matched_by = models.CharField(max_length=40)  # "identifier" | "name and birth date" | "keel reference"
    sender_total = models.IntegerField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True)  # what Keel reported back (a total that disagrees)
    extra_answers = models.JSONField(default=dict, blank=True)  # e.g. PHQ-9 item 10 (not scored)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField()

    objects = _Filings()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # Lane fix33f (review 33d H1, H2), per program since review 34b H5: a response is the sender's
            # system and its key for it, filed once in a program; two requests filing it at the same moment
            # cannot both (the second answers 409 or 200). Another program files its own copy.
            models.UniqueConstraint(
                fields=["program", "sender_system", "sender_id"],
                condition=~models.Q(sender_system="") & ~models.Q(sender_id=""),
                name="imported_response_once_per_program",
                violation_error_message="This response from that system was already filed.",
            )
        ]

    def __str__(self) -> str:
        return f"imported response {self.pk}"

    @property
    def sender_id_as_sent(self) -> str:
        """The sender's id for the response: the column, or for a later filing taken off the one-filing rule
        (`keel.interop.duplicates`) the id kept in its note."""
        if self.sender_id:
            return self.sender_id
        kept = [n.get(KEPT_ID) for n in self.notes if isinstance(n, dict) and n.get(KEPT_ID)]
        return str(kept[-1]) if kept else ""
