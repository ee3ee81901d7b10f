"""A consent signed: by the patient in the app, or on the paper form and entered by the care team."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from keel.access import policy
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import sharing as core
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.words import gettext_noop as N_
from keel.patients.models import Patient, death_recorded, died_under_lock, local_today
from keel.patients.services.common import death_refused
from keel.sharing import words
from keel.sharing.models import Consent
from keel.sharing.services.common import _for_staff, _invalid, legal_name

if TYPE_CHECKING:
    from keel.accounts.models import User


CHANGED_MEANWHILE = N_(
    "whether the record shows the patient died changed while this was signed: "
    "check who signs, then sign again"
)


def sign_consent(*, by: User, raw: Mapping[str, object], now: datetime | None = None) -> Consent:
    """The signed-in patient signs a consent (typed signature = their name on the record)."""
    patient = policy.own_patient_or_404(by, action=Action.CREATE, target_type="consent", audit_success=False)
    return _consent(by, patient, raw, now or timezone.now(), on_paper=False)


def record_paper_consent(
    *, by: User, patient_id: int | str, raw: Mapping[str, object], now: datetime | None = None
) -> Consent:
    """A consent the patient signed on the program's paper form, entered by a counselor, nurse or prescriber
    on the team, who keeps the paper in the chart (42 CFR 2.31 allows paper or electronic)."""
    patient = _for_staff(by, patient_id, Action.CREATE, "consent", emergency_access=False)
    return _consent(by, patient, raw, now or timezone.now(), on_paper=True)


def _consent(
    by: User, patient: Patient, raw: Mapping[str, object], now: datetime, *, on_paper: bool
) -> Consent:
    deceased = death_recorded(patient.pk)  # the one answer (lane fix27b)
    try:
        terms = core.parse_consent(
            raw,
            patient_name=legal_name(patient),
            today=local_today(patient, now),
            date_of_birth=patient.date_of_birth,
            age_of_majority=settings.KEEL_AGE_OF_MAJORITY,
            deceased=deceased,
        )
    except InvalidInput as exc:
        if deceased and any(e.reason == core.ONLY_PERSONAL_REPRESENTATIVE for e in exc.errors):
            death_refused(by, patient, "consent")  # audited (review 28a H5): 2.15(b) after a death
        raise _invalid(exc) from None
    # Stored in the language the patient read and signed (the request's), with the statements as shown.
    language = "es" if (translation.get_language() or "").startswith("es") else "en"
    with translation.override(language):
        statements = words.statements()
    try:
        return _write(by, patient, terms, now, statements, language, on_paper=on_paper, deceased=deceased)
    except _DiedMeanwhile as died:
        death_refused(by, patient, "consent")  # audited as the first check's refusal (review 29b H2)
        raise _invalid(InvalidInput([died.error])) from None


class _DiedMeanwhile(Exception):
    """A death recorded between the first check and the write (seen under the record's lock): nothing was
    written; the signer's refusal after a death (2.15(b)) is said as the first check says it."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(error.field)
        self.error = error


def _write(
    by: User,
    patient: Patient,
    terms: core.ConsentTerms,
    now: datetime,
    statements: list[str],
    language: str,
    *,
    on_paper: bool,
    deceased: bool,
) -> Consent:
    """The consent and its audit row, in one transaction. When no death was recorded at the first check,
    the record's lock (the one a death's discharge takes) is taken and the death asked again
    (`died_under_lock`, as emergency access and a disclosure do, review 29b H2): a death recorded meanwhile
    refuses every signer the first check let through (the patient, a guardian, a health-care agent), as
    only a personal representative signs after a death (2.15(b))."""
    rep = terms.representative
    with transaction.atomic():
        # the record's lock (`died_under_lock` takes `lock_for_account_change`, which a death's discharge and
        # its undo take too, lane dead29b), then the death asked again: a death recorded meanwhile refuses
        # every signer the first check let through (review 29b H2); a death undone meanwhile changes who may
        # sign (a personal representative only signs for a person who died)
        died_now = died_under_lock(patient.pk)
        if not deceased and died_now:
            field = "representative_relationship" if rep else "signer"
            raise _DiedMeanwhile(FieldError(field, core.ONLY_PERSONAL_REPRESENTATIVE))
        if deceased and not died_now:
            raise _invalid(InvalidInput([FieldError("signer", CHANGED_MEANWHILE)]))
        consent = Consent.objects.create(
            patient=patient,
            program_id=patient.program_id,
            recipient_name=terms.recipient_name,
            purpose=terms.purpose,
            purpose_text=terms.purpose_text,
            categories=list(terms.categories),
            expires_on=terms.expires_on,
            signature=terms.signature,
            form_version=core.FORM_VERSION,
            statements=statements,
            language=language,
            signed_by=by,
            signed_at=now,
            on_paper=on_paper,
            representative_name=rep.name if rep else "",
            representative_relationship=rep.relationship if rep else "",
            representative_authority=rep.authority if rep else "",
            patient_signature=terms.patient_signature,
        )
        reason = "signed on paper" if on_paper else ""
        detail = {"representative": rep.relationship} if rep else None  # the relationship, never the name
        audit.record_for_patient(
            by, patient, Action.CREATE, "consent", consent.pk, reason=reason, detail=detail
        )
    return consent
