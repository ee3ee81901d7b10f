"""A completed instrument for one patient: the answers, the computed result and who filled it when."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from keel.accounts.models import Program, Role
from keel.patients.models import Patient

LATE_AFTER = timedelta(minutes=1)  # a later minute: no program threshold exists (review 36h hole 4)
# Where a result's time of scoring came from (re-attack 36l, lane fix36o): typed or changed by the person
# (also every row from before it was kept, assessments 0006, but an import's), the form's pre-filled time sent
# untouched, the moment it was sent, or another system's `authored`. Only a typed time can make a late entry.
TIME_TYPED, TIME_PREFILLED, TIME_SENT, TIME_SENDER = "typed", "prefilled", "sent", "sender"
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
    filled_at = models.DateTimeField()  # the time of scoring (typed at the bedside, else when it was sent)
    created_at = models.DateTimeField(auto_now_add=True)  # when it was entered in the record
    time_source = models.CharField(max_length=16, default=TIME_TYPED)  # where `filled_at` came from (fix36o)
    # The author's role when she filed it (review 36h hole 2), as `AssessmentCorrection.corrected_by_role`;
    # rows from before it (assessments 0005) keep none: their byline names the person alone, never her role
    # of today (`filled_by_role_shown` "").
    filled_by_role = models.CharField(max_length=32, blank=True)
    # The form's one-time token it was filed with (review 36h hole 3: a form sent twice files once); "" for a
    # client that sent none and for rows from before it (assessments 0004).
    form_token = models.CharField(max_length=64, blank=True, default="")
    # Not columns: the correction in force, set by `keel.assessments.queries.with_corrections` on a row read
    # back (the answers, total, band and result above are then the corrected ones; `entered_in_error`: the
    # result no longer stands). A row not read through it is as entered.
    correction: AssessmentCorrection | None = None
    entered_total: int | None = None  # the total as entered, once `with_corrections` read a correction
    # every band it said, as entered then each correction's in order, once `with_corrections` read a
    # correction (a FHIR Condition once sent from it stays: `interop.fhir.condition`, lane fix37a)
    bands_said: tuple[str, ...] = ()
    entered_in_error: bool = False

    class Meta:
        ordering = ["filled_at", "id"]
        indexes = [models.Index(fields=["patient", "instrument", "filled_at"], name="assessment_series")]

    def __str__(self) -> str:
        return f"{self.instrument} #{self.pk}"

    @property
    def filled_by_role_shown(self) -> str:
        """The author's role when she filed it, in the reader's words; "" for a row from before it was."""
        label = dict(Role.choices).get(self.filled_by_role)
        return str(label) if label else self.filled_by_role

    @property
    def self_filed(self) -> bool:
        """Filed by the person about herself (lane fix38d: `policy.filed_by_the_person` of the role she held
        when she filed it; a row from before the role was kept, assessments 0005, by the author's role
        today, the only one known)."""
        from keel.access.policy import filed_by_the_person  # late: the policy reads the patients' models

        return filed_by_the_person(self.filled_by_role or getattr(self.filled_by, "role", ""))

    @property
    def corrected(self) -> bool:
        """Corrected (review 33c hole 4): a correction in force gives other answers than those entered (read
        back through `queries.with_corrections`; its `entered_total` the score as entered). One struck as
        entered in error is that (`entered_in_error`), never "corrected". The one definition the result page,
        the flowsheet, the timeline, the API and FHIR (`schemas.status_of`: amended) read (lane fixrec39)."""
        return self.correction is not None and not self.entered_in_error

    @property
    def entered_late(self) -> bool:
        """A late entry (review 36h hole 4; AHIMA late-entry guidance, CMS Program Integrity Manual 3.3.2.5):
        entered in the record on a later minute than its time of scoring (`created_at` a minute or more after
        `filled_at`). Keel keeps no program threshold for a late entry, so any later minute is one; a row
        stamped when sent is entered the same instant. Only a time the person typed or changed counts (lane
        fix36o): the bedside form's pre-filled time sent untouched, however long the scoring took, and another
        system's `authored` (an import) never make one."""
        return self.time_source == TIME_TYPED and self.created_at - self.filled_at >= LATE_AFTER


class AssessmentCorrection(models.Model):
    """A correction of a stored assessment (review 33c hole 4): either "entered in error" (on the wrong
    person, the wrong form: the result no longer stands) or the corrected answers, scored again by the core,
    with who, when and a reason. Append-only: the assessment's own row is never changed, and a correction is
    never edited or deleted. The latest correction of an assessment is the one in force
    (`keel.assessments.queries.with_corrections`); nothing follows an "entered in error"."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="corrections")
    entered_in_error = models.BooleanField(default=False)
    answers = models.JSONField(null=True, blank=True)
    extras = models.JSONField(default=dict, blank=True)
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=40, blank=True)
    result = models.JSONField(null=True, blank=True)
    reason = models.TextField()
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The corrector's role when she corrected it (review 35d hole 3), as `Disclosure.disclosed_by_role`
    # (`services.correct_assessment` writes it); rows from before it (assessments 0003) keep none: their
    # byline names the person alone, never her role of today (`corrected_by_role_shown` "").
    corrected_by_role = models.CharField(max_length=32, blank=True)
    corrected_at = models.DateTimeField()

    class Meta:
        ordering = ["corrected_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="assessment_fix_has_reason",
                violation_error_message="A correction needs a reason.",
            ),
            models.CheckConstraint(
                condition=Q(entered_in_error=True, result__isnull=True, answers__isnull=True)
                | Q(entered_in_error=False, result__isnull=False, answers__isnull=False),
                name="assessment_fix_strikes_or_rescores",
                violation_error_message=(
                    "A correction either strikes the result or gives the corrected answers."
                ),
            ),
            models.UniqueConstraint(
                fields=["assessment"],
                condition=Q(entered_in_error=True),
                name="assessment_struck_once",
                violation_error_message="This result is already marked entered in error.",
            ),
        ]

    def __str__(self) -> str:
        return f"assessment correction {self.pk}"

    @property
    def corrected_by_role_shown(self) -> str:
        """The corrector's role when she corrected it, in the reader's words; "" for a row from before it
        was kept (the byline then names her alone: `|staff_name_in_role`)."""
        label = dict(Role.choices).get(self.corrected_by_role)
        return str(label) if label else self.corrected_by_role
