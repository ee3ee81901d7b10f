"""Consents, their revocations and every disclosure (42 CFR Part 2; `keel.core.sharing` holds the rules).

A consent is never edited once signed: revoking it adds a `ConsentRevocation`. A disclosure names its basis:
a consent, or a recorded medical emergency (its four facts); a database constraint refuses anything else."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TypedDict, Unpack

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.base import ModelBase
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from keel.accounts.models import Program, Role
from keel.core import disclosure_words, sharing
from keel.patients.models import Patient
from keel.sharing.words import A_STAFF_MEMBER, STAFF_BY_ROLE


class SaveOptions(TypedDict, total=False):
    """What `Model.save` takes (keywords only, as Django 5.2 asks), passed on as given by a row's save."""

    force_insert: bool | tuple[ModelBase, ...]
    force_update: bool
    using: str | None
    update_fields: Iterable[str] | None


class ConsentImmutable(Exception):
    """A signed consent cannot change; revoke it and sign a new one."""


class Consent(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")  # who may disclose
    recipient_name = models.CharField(max_length=200)
    purpose = models.CharField(max_length=20)
    purpose_text = models.CharField(max_length=500, blank=True)
    categories = models.JSONField()
    expires_on = models.DateField()
    signature = models.CharField(max_length=200)
    form_version = models.CharField(max_length=40)
    statements = models.JSONField()  # the words the patient read when signing, in the language they read
    language = models.CharField(max_length=10, default="en")  # the language the consent was signed in
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    # Signed on a paper form and recorded by a staff member (`signed_by`), who keeps the paper in the chart.
    on_paper = models.BooleanField(default=False)
    # Signed for the patient by a representative (42 CFR 2.14, 2.15): their name (the `signature`), their
    # relationship (`keel.core.sharing.REPRESENTATIVES`) and the legal authority they act under. Empty when
    # the patient signed. A minor signs next to their representative (`patient_signature`).
    representative_name = models.CharField(max_length=200, blank=True)
    representative_relationship = models.CharField(max_length=30, blank=True)
    representative_authority = models.CharField(max_length=500, blank=True)
    patient_signature = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "signed_at"], name="consent_patient_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    representative_name="", representative_relationship="", representative_authority=""
                )
                | (
                    ~Q(representative_name="")
                    & ~Q(representative_relationship="")
                    & ~Q(representative_authority="")
                ),
                name="consent_representative_complete",
                violation_error_message=(
                    "A representative who signs is named with their relationship and legal authority."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.pk}"

    def save(self, **kwargs: Unpack[SaveOptions]) -> None:
        if self.pk is not None:
            raise ConsentImmutable("A signed consent cannot change; revoke it and sign a new one.")
        super().save(**kwargs)

    @property
    def by_representative(self) -> bool:
        return bool(self.representative_name)

    def signer_authority_ended(self, *, deceased: bool) -> bool:
        """The one rule (`keel.core.sharing.signer_authority_ended`) asked of this consent, by a release
        (`_covered`) and wherever its state is shown (`shown_status`): `deceased`, the record shows the death
        now. Her own signature on it, alone or next to her representative's, stands (review 31c H3)."""
        return sharing.signer_authority_ended(
            self.representative_relationship, deceased=deceased, patient_signed=bool(self.patient_signature)
        )

    def shown_status(self, *, revoked_at: datetime | None, today: date, deceased: bool) -> str:
        """Its state as the sharing page and API and the FHIR Consent show it: what a release would do
        (`keel.core.sharing.shown_status`; review 31c H2)."""
        state = sharing.status(expires_on=self.expires_on, revoked_at=revoked_at, today=today)
        return sharing.shown_status(state, authority_ended=self.signer_authority_ended(deceased=deceased))


class ConsentRevocation(models.Model):
    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="revocation")
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField()
    in_writing = models.BooleanField(default=False)  # a written revocation recorded by a staff member

    def __str__(self) -> str:
        return f"consent revocation {self.pk}"


class Basis(models.TextChoices):  # labels said in the reader's language (lane emg27)
    CONSENT = "consent", _("Patient consent (42 CFR 2.31)")
    EMERGENCY = "emergency", _("Medical emergency (42 CFR 2.51)")
    PATIENT_REQUEST = "patient_request", _("The patient's own request (42 CFR 2.23)")


class Disclosure(models.Model):
    """One release of information, for the patient's accounting of disclosures. The document itself is not
    kept: its SHA-256, what it held (categories and a description) and the notice it carried are."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="disclosures")
    basis = models.CharField(max_length=20, choices=Basis.choices)
    consent = models.ForeignKey(
        Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures"
    )
    recipient_name = models.CharField(max_length=200)
    recipient_affiliation = models.CharField(max_length=200, blank=True)
    recipient_role = models.CharField(max_length=40, blank=True)  # an emergency's medical role (2.51)
    purpose = models.CharField(max_length=20, blank=True)  # as the request carried it; the consent's
    purpose_text = models.CharField(max_length=500, blank=True)
    emergency_nature = models.TextField(blank=True)
    categories = models.JSONField()
    description = models.TextField()
    scope = models.TextField(blank=True)
    notice = models.TextField()
    document_sha256 = models.CharField(max_length=64)
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The discloser's role when they disclosed (review 28a H3): the accounting names the discloser by it,
    # never by name nor by the role they hold now. Filled from `disclosed_by` when the row is written
    # (`save`); rows from before it were backfilled from the staff member's role on the day of the migration
    # (sharing 0007), the nearest Keel held.
    disclosed_by_role = models.CharField(max_length=32, blank=True)
    disclosed_at = models.DateTimeField()

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [models.Index(fields=["patient", "disclosed_at"], name="disclosure_patient_time")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(basis="consent") & Q(consent__isnull=False) & ~Q(scope=""))
                | (
                    Q(basis="emergency")
                    & Q(consent__isnull=True)
                    & ~Q(recipient_affiliation="")
                    & ~Q(emergency_nature="")
                )
                | (Q(basis="patient_request") & Q(consent__isnull=True)),
                name="disclosure_has_a_basis",
                violation_error_message=(
                    "A disclosure needs a consent, a recorded medical emergency or the patient's own request."
                ),
            ),
            models.CheckConstraint(condition=~Q(notice=""), name="disclosure_carries_notice"),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.pk}"

    def save(self, **kwargs: Unpack[SaveOptions]) -> None:
        """A new row keeps its discloser's role of the moment (`disclosed_by_role`), whoever writes it."""
        if self._state.adding and not self.disclosed_by_role:
            self.disclosed_by_role = self.disclosed_by.role
        super().save(**kwargs)

    @property
    def disclosed_by_role_shown(self) -> str:
        """The discloser's role when they disclosed, as the care team's page names it after their name."""
        label = dict(Role.choices).get(self.disclosed_by_role)
        return str(label) if label else self.disclosed_by_role

    @property
    def discloser_for_patient(self) -> str:
        """Who shared the record, as the patient's accounting names them (review 28a H3, H4): the role they
        held when they disclosed ("A nurse"), in the reader's language; never a name (42 CFR 2.24 and
        45 CFR 164.528 owe the date, recipient, what and why, not the staff member). The one reading for
        the page and the JSON (`DisclosureOut.disclosed_by_role`)."""
        return gettext(STAFF_BY_ROLE.get(self.disclosed_by_role, A_STAFF_MEMBER))

    @property
    def recipient_role_shown(self) -> str:
        """An emergency recipient's medical role (2.51) in the reader's language; "" when none was recorded
        (a consent's recipient), a code Keel no longer lists as stored."""
        text = sharing.MEDICAL_ROLES.get(self.recipient_role)
        return gettext(text) if text else self.recipient_role

    @property
    def description_shown(self) -> str:
        """What left, in the reader's language (review 26b H11): a progress report said from its sections
        through the catalogue when the stored English sentence is the one its categories make (every row
        written so, old ones too); any other through its entry in `core.disclosure_words` (review 33b H1: a
        record read or pulled by another system, exported or transferred, in plain words; a row stored with
        the earlier English words said through the entry that replaced them, never rewritten), else as
        stored."""
        cats = self.categories if isinstance(self.categories, list) else []
        if (
            cats
            and all(isinstance(c, str) and c in sharing.CATEGORIES for c in cats)
            and self.description == sharing.progress_report_description(cats)
        ):
            sections = "; ".join(gettext(sharing.CATEGORIES[c]) for c in cats)
            return gettext(sharing.PROGRESS_REPORT) % {"sections": sections}
        return gettext(disclosure_words.current(self.description)) if self.description else ""


class ReviewKind(models.TextChoices):
    # the review page shows these in the reader's language (lane priv30)
    EMERGENCY_ACCESS = "emergency_access", _("Emergency access (break the glass)")
    EMERGENCY_DISCLOSURE = "emergency_disclosure", _("Disclosure in a medical emergency (42 CFR 2.51)")
    # an emergency access refused because the record shows a death (lane priv30): no grant to name
    REFUSED_AFTER_DEATH = "refused_after_death", _("Emergency access refused: the record shows a death")


class EmergencyReview(models.Model):
    """One use of an emergency power waiting for a program admin to attest it: an emergency access, an
    emergency disclosure, or an emergency access refused because the record shows a death (lane priv30: the
    attempt names no grant, only the person, the clinician and the reason typed). The person who used it
    never attests it; attesting is recorded, never undone."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=ReviewKind.choices)
    emergency_access = models.OneToOneField(
        "patients.EmergencyAccess", on_delete=models.PROTECT, null=True, blank=True, related_name="review"
    )
    disclosure = models.OneToOneField(
        Disclosure, on_delete=models.PROTECT, null=True, blank=True, related_name="review"
    )
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    raised_at = models.DateTimeField()
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [models.Index(fields=["program", "attested_at"], name="review_program_open")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="emergency_access") & Q(emergency_access__isnull=False))
                | (Q(kind="emergency_disclosure") & Q(disclosure__isnull=False))
                | (
                    Q(kind="refused_after_death")
                    & Q(emergency_access__isnull=True)
                    & Q(disclosure__isnull=True)
                ),
                name="review_names_what_it_reviews",
                violation_error_message=(
                    "A review names the emergency access or disclosure it is about, or none when refused."
                ),
            ),
            models.CheckConstraint(
                condition=Q(attested_by__isnull=True) | ~Q(attested_by=models.F("used_by")),
                name="review_not_by_its_user",
                violation_error_message="The person who used emergency powers cannot attest them.",
            ),
            models.CheckConstraint(
                condition=Q(attested_by__isnull=True, attested_at__isnull=True)
                | (Q(attested_by__isnull=False, attested_at__isnull=False) & ~Q(note="")),
                name="review_attested_with_a_note",
                violation_error_message="An attestation names who attested, when, and a note.",
            ),
        ]

    def __str__(self) -> str:
        return f"emergency review {self.pk}"
