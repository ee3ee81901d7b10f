"""Consents, revocations, disclosures and emergency access (journey 8; SECURITY.md 42 CFR Part 2, T11, T12).

Every call goes through the access policy and leaves audit rows: a consent signed or revoked, a disclosure
(action `disclose`, in the same transaction as its row), a refusal (`denied`), an emergency access
(`emergency_access`). Disclosing and breaking the glass need the staff member's password again
(re-authentication, SECURITY.md). A disclosure is decided by `keel.core.sharing.check_disclosure` and then
decided again inside the write's transaction, so a revocation that lands in between wins."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.assessments import queries as assessment_queries
from keel.audit import services as audit
from keel.audit.models import Action, Outcome
from keel.core import sharing as core
from keel.core.rules.inputs import FieldError, FieldsInvalid, InvalidInput, record_id
from keel.patients.models import (
    EmergencyAccess,
    EndReason,
    Enrollment,
    EnrollmentStatus,
    Patient,
    PatientFlag,
    local_today,
)
from keel.recovery.models import CheckIn
from keel.sharing import words
from keel.sharing.models import (
    Basis,
    Consent,
    ConsentRevocation,
    Disclosure,
    EmergencyReview,
    ReviewKind,
)
from keel.treatment.models import DoseRecord, MedicationOrder, OrderStatus

ACCOUNTING_DAYS = 3 * 365  # the patient's accounting of disclosures covers 3 years (42 CFR 2.24, 2.25)


class SharingInvalid(FieldsInvalid):
    """Bad or refused input to a consent, a disclosure or an emergency access, each field named."""


class SharingNotAllowed(Exception):
    """The caller's role may not do this (audited as a denial)."""


@dataclass(frozen=True)
class ConsentView:
    consent: Consent
    status: str  # active | expired | revoked
    revoked_at: datetime | None


@dataclass(frozen=True)
class Sharing:
    patient: Patient
    consents: list[ConsentView]
    disclosures: list[Disclosure]
    since: date


def legal_name(patient: Patient) -> str:
    return f"{patient.given_name} {patient.family_name}"


def _invalid(exc: InvalidInput) -> SharingInvalid:
    return SharingInvalid(exc.errors)


def _deny(by: Any, patient: Patient, target_type: str, reason: str) -> None:
    audit.record_for_patient(by, patient, Action.DENIED, target_type, outcome=Outcome.DENIED, reason=reason)


def reauthenticate(by: Any, patient: Patient, password: Any, target_type: str) -> None:
    """The staff member's password again before a record leaves (SECURITY.md: re-authentication before
    disclosure, export and emergency access); a wrong one is audited as a denial and named as a field."""
    if not accounts.reauthenticate(by, password, purpose=target_type):  # counted by the lockout (T17)
        _deny(by, patient, target_type, "re-authentication failed")
        raise SharingInvalid(
            [FieldError("password", "is not correct: enter your password again to continue")]
        )


# --- The patient: sign, revoke, read ----------------------------------------------------------------------


def sign_consent(*, by: Any, raw: Mapping[str, Any], now: datetime | None = None) -> Consent:
    """The signed-in patient signs a consent (typed signature = their name on the record)."""
    patient = policy.own_patient_or_404(by, action=Action.CREATE, target_type="consent", audit_success=False)
    return _consent(by, patient, raw, now or timezone.now(), on_paper=False)


def record_paper_consent(
    *, by: Any, patient_id: int | str, raw: Mapping[str, Any], now: datetime | None = None
) -> Consent:
    """A consent the patient signed on the program's paper form, entered by a counselor, nurse or prescriber
    on the team, who keeps the paper in the chart (42 CFR 2.31 allows paper or electronic)."""
    patient = _for_staff(by, patient_id, Action.CREATE, "consent")
    return _consent(by, patient, raw, now or timezone.now(), on_paper=True)


def _for_staff(by: Any, patient_id: int | str, action: Action, target_type: str) -> Patient:
    patient = policy.get_patient_or_404(
        by, patient_id, area=Area.CLINICAL, action=action, target_type=target_type, audit_success=False
    )
    if not policy.can_disclose(by):
        _deny(by, patient, target_type, "role may not record consents or disclose")
        raise SharingNotAllowed
    return patient


def _consent(by: Any, patient: Patient, raw: Mapping[str, Any], now: datetime, *, on_paper: bool) -> Consent:
    try:
        terms = core.parse_consent(
            raw,
            patient_name=legal_name(patient),
            today=local_today(patient, now),
            date_of_birth=patient.date_of_birth,
            age_of_majority=settings.KEEL_AGE_OF_MAJORITY,
            deceased=Enrollment.objects.filter(patient=patient, end_reason=EndReason.DECEASED).exists(),
        )
    except InvalidInput as exc:
        raise _invalid(exc) from None
    # Stored in the language the patient read and signed (the request's), with the statements as shown.
    language = "es" if (translation.get_language() or "").startswith("es") else "en"
    with translation.override(language):
        statements = words.statements()
    rep = terms.representative
    with transaction.atomic():
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


def revoke_consent(*, by: Any, consent_id: int, now: datetime | None = None) -> Consent:
    """The patient takes a consent back. Revoking twice is the same as once."""
    patient = policy.own_patient_or_404(by, action=Action.UPDATE, target_type="consent", audit_success=False)
    return _revoke(by, patient, consent_id, now or timezone.now(), in_writing=False)


def record_written_revocation(
    *, by: Any, patient_id: int | str, consent_id: int, now: datetime | None = None
) -> Consent:
    """The patient took a consent back in writing; a counselor, nurse or prescriber on the team enters it."""
    patient = _for_staff(by, patient_id, Action.UPDATE, "consent")
    return _revoke(by, patient, consent_id, now or timezone.now(), in_writing=True)


def _revoke(by: Any, patient: Patient, consent_id: int, now: datetime, *, in_writing: bool) -> Consent:
    with transaction.atomic():
        consent = Consent.objects.select_for_update().filter(patient=patient, pk=consent_id).first()
        if consent is not None and not ConsentRevocation.objects.filter(consent=consent).exists():
            ConsentRevocation.objects.create(
                consent=consent, revoked_by=by, revoked_at=now, in_writing=in_writing
            )
            reason = "revoked in writing" if in_writing else "revoked"
            audit.record_for_patient(by, patient, Action.UPDATE, "consent", consent.pk, reason=reason)
    if consent is None:  # outside the transaction, so the denial's audit row stays
        _deny(by, patient, "consent", "not this patient's consent")
        raise policy.PatientNotFound()
    return consent


def _sharing(patient: Patient, now: datetime) -> Sharing:
    today = local_today(patient, now)
    since = today - timedelta(days=ACCOUNTING_DAYS)
    views = []
    for c in Consent.objects.filter(patient=patient).select_related("revocation"):
        revocation = getattr(c, "revocation", None)
        revoked_at = revocation.revoked_at if revocation else None
        views.append(
            ConsentView(
                c, core.status(expires_on=c.expires_on, revoked_at=revoked_at, today=today), revoked_at
            )
        )
    start = timezone.make_aware(datetime.combine(since, datetime.min.time()))
    disclosures = list(
        Disclosure.objects.filter(patient=patient, disclosed_at__gte=start).select_related("disclosed_by")
    )
    return Sharing(patient, views, disclosures, since)


def my_sharing(by: Any, *, now: datetime | None = None) -> Sharing:
    """The patient's consents and accounting of disclosures (3 years); one audited read."""
    patient = policy.own_patient_or_404(by, target_type="sharing")
    return _sharing(patient, now or timezone.now())


def patient_sharing(by: Any, patient_id: int | str, *, now: datetime | None = None) -> Sharing:
    """The same for the care team (clinical area); one audited read."""
    patient = policy.get_patient_or_404(by, patient_id, area=Area.CLINICAL, target_type="sharing")
    return _sharing(patient, now or timezone.now())


# --- The care team: disclose -------------------------------------------------------------------------------


def report(
    patient: Patient, categories: tuple[str, ...], now: datetime, *, areas: frozenset[Area]
) -> dict[str, Any]:
    """The progress report: only the sections named. Plain facts, no notes, no free text. The patient's
    protected fields (the birth date) only for a discloser whose role sees them (`policy.field_visible`, the
    one field-level policy every output asks)."""
    today = local_today(patient, now)
    month_ago = today - timedelta(days=30)
    sections: list[dict[str, Any]] = []
    for category in categories:
        lines: list[str] = []
        if category == "enrollment":
            active = Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.ACTIVE).first()
            first = Enrollment.objects.filter(patient=patient).order_by("started_on").first()
            lines.append(
                f"In care since {first.started_on.isoformat()}." if first else "No enrollment on record."
            )
            lines.append("Care is ongoing." if active else "Not in care at this program now.")
        elif category == "medication":
            for order in MedicationOrder.objects.filter(patient=patient, status=OrderStatus.ACTIVE):
                lines.append(
                    f"{order.get_medication_display()} {order.dose_mg.normalize():f} mg, {order.frequency}."
                )
            given = DoseRecord.objects.filter(
                patient=patient, status="given", local_date__gt=month_ago, local_date__lte=today
            ).exclude(amendments__voided=True)
            lines.append(
                f"Observed doses in the last 30 days: {given.values('local_date').distinct().count()}."
            )
        elif category == "checkins":
            rows = list(
                CheckIn.objects.filter(patient=patient, local_date__gt=month_ago, local_date__lte=today)
            )
            lines.append(f"Check-ins in the last 30 days: {len(rows)}.")
            if rows:
                lines.append(f"Average craving: {statistics.fmean(r.craving for r in rows):.1f} of 10.")
                lines.append(f"Average mood: {statistics.fmean(r.mood for r in rows):.1f} of 5.")
                lines.append(f"Days with reported use: {sum(r.used for r in rows)}.")
        elif category == "screenings":
            for code, name in (("phq9", "PHQ-9"), ("gad7", "GAD-7")):
                latest = assessment_queries.latest(patient, code)  # the one definition of "latest"
                if latest is None:
                    lines.append(f"{name}: none on record.")
                else:
                    when = timezone.localtime(latest.filled_at).date().isoformat()
                    lines.append(f"{name}: {latest.total} ({latest.band.replace('_', ' ')}) on {when}.")
        sections.append({"category": category, "title": core.CATEGORIES[category], "lines": lines})
    return {
        "patient": {
            "name": legal_name(patient),
            "date_of_birth": patient.date_of_birth.isoformat()
            if patient.date_of_birth and policy.field_visible(areas, "date_of_birth")
            else "",
        },
        "program": patient.program.name,
        "prepared_at": now.isoformat(),
        "sections": sections,
    }


def disclose(
    *, by: Any, patient_id: int | str, raw: Mapping[str, Any], now: datetime | None = None
) -> tuple[Disclosure, dict[str, Any]]:
    """Release a progress report under a consent, or in a medical emergency; returns the row and the document
    (which carries the notice and the scope). Nothing leaves and nothing is written unless every check
    passes; each refusal is audited."""
    now = now or timezone.now()
    patient = policy.get_patient_or_404(
        by,
        patient_id,
        area=Area.CLINICAL,
        action=Action.DISCLOSE,
        target_type="disclosure",
        audit_success=False,
    )
    if not policy.can_disclose(by):
        _deny(by, patient, "disclosure", "role may not disclose")
        raise SharingNotAllowed
    basis = raw.get("basis")
    if basis not in (Basis.CONSENT, Basis.EMERGENCY):
        raise SharingInvalid([FieldError("basis", "must be consent or emergency")])
    asked = raw.get("categories") or []
    if not isinstance(asked, list | tuple) or not all(isinstance(c, str) for c in asked):
        raise SharingInvalid([FieldError("categories", "must be a list of kinds of information")])
    if core.RECORD in asked:
        raise SharingInvalid(
            [FieldError("categories", gettext_noop("the whole record leaves only as the record export"))]
        )
    try:  # the request names its recipient and purpose (or an emergency's facts) before anything else
        request = core.parse_request(raw) if basis == Basis.CONSENT else None
        terms = core.parse_emergency(raw) if basis == Basis.EMERGENCY else None
    except InvalidInput as exc:  # a refused attempt is audited, naming the fields (never their values)
        _deny(by, patient, "disclosure", "refused: " + ", ".join(e.field for e in exc.errors))
        raise _invalid(exc) from None
    reauthenticate(by, patient, raw.get("password"), "disclosure")
    today = local_today(patient, now)
    refusal: FieldError | None = None
    if request is not None:
        consent, categories, refusal = _covered(patient, raw.get("consent"), tuple(asked), today)
        if refusal:
            _deny(by, patient, "disclosure", refusal.reason)
            raise SharingInvalid([refusal])
        assert consent is not None
        wrong = core.mismatches(
            request,
            recipient_name=consent.recipient_name,
            purpose=consent.purpose,
            purpose_text=consent.purpose_text,
        )
        if wrong:
            _deny(by, patient, "disclosure", "; ".join(f"{e.field} {e.reason}" for e in wrong))
            raise SharingInvalid(wrong)
        recipient, role, affiliation, nature = consent.recipient_name, "", "", ""
        purpose, purpose_text = consent.purpose, consent.purpose_text
        scope = core.scope(
            consent.recipient_name, consent.purpose, consent.purpose_text, categories, consent.expires_on
        )
    else:
        assert terms is not None
        consent, categories = None, terms.categories
        recipient, role = terms.recipient_name, terms.recipient_role
        affiliation, nature = terms.recipient_affiliation, terms.nature
        purpose, purpose_text = "emergency", ""
        scope = ""
    with transaction.atomic():
        if consent is not None:  # decided again under the write: a revocation that landed in between wins
            _, _, late = _covered(patient, consent.pk, tuple(asked), today, lock=True)
            if late:
                refusal = late
        if refusal is None:
            document = report(patient, categories, now, areas=policy.areas_for_role(by.role))
            document["notice"] = core.NOTICE
            document["scope"] = scope or (
                f"Medical emergency (42 CFR 2.51): disclosed to {recipient} "
                f"({core.MEDICAL_ROLES[role]}), {affiliation}. Nature of the emergency: {nature}."
            )
            digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
            disclosure = Disclosure.objects.create(
                patient=patient,
                basis=basis,
                consent=consent,
                recipient_name=recipient,
                recipient_affiliation=affiliation,
                recipient_role=role,
                purpose=purpose,
                purpose_text=purpose_text,
                emergency_nature=nature,
                categories=list(categories),
                description="Progress report: " + "; ".join(core.CATEGORIES[c] for c in categories),
                scope=scope,
                notice=core.NOTICE,
                document_sha256=digest,
                disclosed_by=by,
                disclosed_at=now,
            )
            if basis == Basis.EMERGENCY:  # flagged for a program admin's review (42 CFR 2.51, T19)
                EmergencyReview.objects.create(
                    patient=patient,
                    program_id=patient.program_id,
                    kind=ReviewKind.EMERGENCY_DISCLOSURE,
                    disclosure=disclosure,
                    used_by=by,
                    reason=nature,
                    raised_at=now,
                )
            audit.record_for_patient(
                by,
                patient,
                Action.DISCLOSE,
                "disclosure",
                disclosure.pk,
                reason="medical emergency" if basis == Basis.EMERGENCY else "",
                detail={
                    "basis": str(basis),
                    "consent_id": consent.pk if consent else None,
                    "categories": list(categories),
                },
            )
    if refusal is not None:
        _deny(by, patient, "disclosure", refusal.reason)
        raise SharingInvalid([refusal])
    document["disclosure"] = {"id": disclosure.pk, "basis": str(basis), "sha256": digest}
    return disclosure, document


def _covered(
    patient: Patient, consent_id: Any, asked: tuple[str, ...], today: date, *, lock: bool = False
) -> tuple[Consent | None, tuple[str, ...], FieldError | None]:
    """The patient's consent named by `consent_id`, what of `asked` it lets leave today, or why not. With
    `lock` (inside the write's transaction) the consent row is locked, so a revocation waits or wins."""
    consent_pk = record_id(consent_id)
    rows = Consent.objects.select_for_update() if lock else Consent.objects
    consent = rows.filter(patient=patient, pk=consent_pk).first() if consent_pk else None
    if consent is None:
        return None, (), FieldError("consent", "no such consent for this patient")
    revocation = ConsentRevocation.objects.filter(consent=consent).first()
    decision = core.check_disclosure(
        expires_on=consent.expires_on,
        revoked_at=revocation.revoked_at if revocation else None,
        consent_categories=tuple(consent.categories),
        asked=asked,
        today=today,
    )
    if decision.decision != "allowed":
        return consent, (), FieldError("consent", decision.reasons[0].text)
    return consent, tuple(decision.details["categories"]), None


# --- A record that leaves is a disclosure -------------------------------------------------------------------


def release_record(
    *,
    by: Any,
    patient_id: int | str,
    raw: Mapping[str, Any],
    target_type: str,
    description: str,
    build: Callable[[Patient, datetime], dict[str, Any]],
    now: datetime | None = None,
    by_token: bool = False,
    detail: Mapping[str, Any] | None = None,
) -> tuple[Disclosure, dict[str, Any]]:
    """A staff export of the record (the FHIR Bundle): a disclosure like any other. It needs a basis (a live
    consent naming the recipient, the purpose and the whole record; or the patient's own request), the
    password again, and is recorded in the accounting of disclosures; only counselors, nurses and prescribers
    on the team release a record (program admins, peers and auditors never export clinical content).
    `build(patient, now)` makes the document inside the write's transaction.

    `by_token`: another system pulls the record with a staff member's API token (`Patient/$everything`). The
    same basis and accounting; no password to ask again (the token is the credential a system holds), and
    the audit row says so. `detail` is added to the audit row (what the request returned)."""
    now = now or timezone.now()
    patient = policy.get_patient_or_404(
        by, patient_id, area=Area.CLINICAL, action=Action.EXPORT, target_type=target_type, audit_success=False
    )
    if not policy.can_disclose(by):
        _deny(by, patient, target_type, "role may not export or disclose a record")
        raise SharingNotAllowed
    basis = raw.get("basis")
    if basis not in (Basis.CONSENT, Basis.PATIENT_REQUEST):
        raise SharingInvalid(
            [FieldError("basis", "must be consent or patient_request: a record leaves only with a basis")]
        )
    if by_token and basis == Basis.PATIENT_REQUEST:
        # Another system holding a staff token cannot show that the patient asked, and the accounting would
        # name the patient as the recipient of what that system received (42 CFR 2.24). The patient's own
        # request is the staff export handed over in the app (with the password again); the patient's own
        # token is their right-of-access path.
        _deny(by, patient, target_type, "patient_request basis claimed by an API token")
        raise SharingInvalid(
            [
                FieldError(
                    "basis",
                    "must be consent for a pull by another system: the patient's own request is the "
                    "export handed over in Keel, or the patient's own sign-in",
                )
            ]
        )
    try:
        request = core.parse_request(raw) if basis == Basis.CONSENT else None
    except InvalidInput as exc:
        raise _invalid(exc) from None
    if not by_token:
        reauthenticate(by, patient, raw.get("password"), target_type)
    today = local_today(patient, now)
    consent: Consent | None = None
    scope = ""
    recipient, purpose, purpose_text = legal_name(patient), "patient_request", ""
    if request is not None:
        consent, _, refusal = _covered(patient, raw.get("consent"), (core.RECORD,), today)
        wrong = [refusal] if refusal else []
        if consent is not None and not refusal:
            wrong = core.mismatches(
                request,
                recipient_name=consent.recipient_name,
                purpose=consent.purpose,
                purpose_text=consent.purpose_text,
            )
        if wrong:
            _deny(by, patient, target_type, "; ".join(f"{e.field}: {e.reason}" for e in wrong))
            raise SharingInvalid(wrong)
        assert consent is not None
        recipient, purpose, purpose_text = consent.recipient_name, consent.purpose, consent.purpose_text
        scope = core.scope(recipient, purpose, purpose_text, (core.RECORD,), consent.expires_on)
    refusal = None
    with transaction.atomic():
        if consent is not None:  # a revocation that landed in between wins
            _, _, refusal = _covered(patient, consent.pk, (core.RECORD,), today, lock=True)
        if refusal is None:
            document = build(patient, now)
            digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
            disclosure = Disclosure.objects.create(
                patient=patient,
                basis=basis,
                consent=consent,
                recipient_name=recipient,
                purpose=purpose,
                purpose_text=purpose_text,
                categories=[core.RECORD],
                description=description,
                scope=scope,
                notice=core.NOTICE,
                document_sha256=digest,
                disclosed_by=by,
                disclosed_at=now,
            )
            reasons = ["the patient's own request" if basis == Basis.PATIENT_REQUEST else ""]
            reasons += ["pulled with an API token"] if by_token else []
            audit.record_for_patient(
                by,
                patient,
                Action.EXPORT,
                target_type,
                reason="; ".join(r for r in reasons if r),
                detail={
                    **(detail or {}),
                    "basis": str(basis),
                    "consent_id": consent.pk if consent else None,
                    "disclosure_id": disclosure.pk,
                },
            )
    if refusal is not None:
        _deny(by, patient, target_type, refusal.reason)
        raise SharingInvalid([refusal])
    return disclosure, document


CONSENT_HEADER = "Keel-Consent"


def release_to_system(
    *,
    by: Any,
    patient_id: int | str,
    consent_id: Any,
    target_type: str,
    description: str,
    build: Callable[[Patient, datetime], dict[str, Any]],
    now: datetime | None = None,
    detail: Mapping[str, Any] | None = None,
) -> tuple[Disclosure, dict[str, Any]]:
    """Another system reading one patient's resources with a staff member's API token (a FHIR read or a search
    naming the patient): the record leaves Keel, so it is a disclosure under a consent named in the request
    (`Keel-Consent: <consent id>`, never in the URL). The one basis check as for `Patient/$everything`
    (`release_record`): the patient's consent, live, not revoked, covering the whole record; its recipient and
    purpose are the disclosure's; one Disclosure row per request, in the accounting of disclosures."""
    now = now or timezone.now()
    patient = policy.get_patient_or_404(
        by, patient_id, area=Area.CLINICAL, action=Action.EXPORT, target_type=target_type, audit_success=False
    )
    pk = record_id(consent_id)
    consent = Consent.objects.filter(patient=patient, pk=pk).first() if pk else None
    if consent is None:
        _deny(by, patient, target_type, f"{CONSENT_HEADER}: no such consent for this patient")
        raise SharingInvalid([FieldError(CONSENT_HEADER, "no such consent for this patient")])
    raw = {
        "basis": Basis.CONSENT,
        "consent": str(consent.pk),
        "recipient_name": consent.recipient_name,
        "purpose": consent.purpose,
        "purpose_text": consent.purpose_text,
    }
    try:
        return release_record(
            by=by,
            patient_id=patient.pk,
            raw=raw,
            target_type=target_type,
            description=description,
            build=build,
            now=now,
            by_token=True,
            detail=detail,
        )
    except SharingInvalid as exc:  # named as the header that carried the consent
        raise SharingInvalid(
            [FieldError(CONSENT_HEADER if e.field == "consent" else e.field, e.reason) for e in exc.errors]
        ) from None


# --- Emergency access (break-the-glass) --------------------------------------------------------------------


def emergency_access(
    *, by: Any, record_number: Any, reason: Any, password: Any, now: datetime | None = None
) -> tuple[Patient, EmergencyAccess]:
    """A clinician of the program opens a record outside their care team for a medical emergency: a reason,
    the password again, a limited time (`KEEL_EMERGENCY_ACCESS_MINUTES`); the care team is flagged and the
    audit trail gets an `emergency_access` row."""
    now = now or timezone.now()
    if not policy.can_request_emergency_access(by):
        audit.record(actor=by, action=Action.DENIED, outcome=Outcome.DENIED, target_type="emergency_access")
        raise SharingNotAllowed
    errors = []
    number = record_number.strip() if isinstance(record_number, str) else ""
    why = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not number:
        errors.append(FieldError("record_number", "is required"))
    if len(why) < 10:
        errors.append(FieldError("reason", "describe the emergency (at least 10 characters)"))
    elif len(why) > 1000:
        errors.append(FieldError("reason", "can be at most 1000 characters"))
    if errors:
        raise SharingInvalid(errors)
    patient = (
        Patient.objects.filter(program_id__in=policy.program_ids_of(by), record_number=number)
        .select_related("program")
        .first()
    )
    if patient is None:
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="emergency_access",
            reason="no such record number in the caller's programs",
        )
        raise SharingInvalid(
            [FieldError("record_number", "no patient with this record number in your program")]
        )
    reauthenticate(by, patient, password, "emergency_access")
    minutes = int(settings.KEEL_EMERGENCY_ACCESS_MINUTES)
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            patient=patient, user=by, reason=why, started_at=now, expires_at=now + timedelta(minutes=minutes)
        )
        name = by.get_full_name() or by.username
        with translation.override("en"):
            role = str(by.get_role_display())
        PatientFlag.objects.create(
            patient=patient,
            kind="emergency_access",
            priority=1,
            reasons=[f"{role} {name} opened this record in an emergency: {why}"],
            said=[  # shown in the reader's language (keel.patients.flagwords); the name and reason as written
                {
                    "template": gettext_noop("%(role)s %(name)s opened this record in an emergency: %(why)s"),
                    "params": {"role": role, "name": name, "why": why},
                }
            ],
            sources=list(core.SOURCES_EMERGENCY),
            source_type="emergency_access",
            source_id=grant.pk,
            raised_at=now,
        )
        EmergencyReview.objects.create(
            patient=patient,
            program_id=patient.program_id,
            kind=ReviewKind.EMERGENCY_ACCESS,
            emergency_access=grant,
            used_by=by,
            reason=why,
            raised_at=now,
        )
        audit.record_for_patient(
            by,
            patient,
            Action.EMERGENCY_ACCESS,
            "emergency_access",
            grant.pk,
            reason="break the glass",
            detail={"expires_at": grant.expires_at.isoformat()},
        )
    return patient, grant


# --- The review queue: every use of emergency powers, attested by a program admin --------------------------


def emergency_reviews(by: Any, *, include_attested: bool = False) -> list[EmergencyReview]:
    """The emergency accesses and emergency disclosures of the caller's programs waiting for a program admin
    (oldest first), or all of them; one audited read naming the patients. Others get `SharingNotAllowed`."""
    programs = [pid for pid in policy.audit_program_ids(by) if policy.can_review_emergencies(by, pid)]
    if not programs:
        audit.record(
            actor=by, action=Action.DENIED, outcome=Outcome.DENIED, target_type="emergency_review_list"
        )
        raise SharingNotAllowed
    rows = EmergencyReview.objects.filter(program_id__in=programs).select_related(
        "patient", "program", "used_by", "attested_by", "emergency_access", "disclosure"
    )
    if not include_attested:
        rows = rows.filter(attested_at__isnull=True)
    reviews = list(rows)
    policy.audit_list_read(
        by, target_type="emergency_review_list", patient_ids=sorted({r.patient_id for r in reviews})
    )
    return reviews


def attest_review(by: Any, *, review_id: Any, note: Any, now: datetime | None = None) -> EmergencyReview:
    """A program admin of the review's program attests a use of emergency powers, with a note; never the
    person who used them; once. Audited as an update of the patient's record."""
    pk = record_id(review_id)
    review = EmergencyReview.objects.select_related("patient").filter(pk=pk).first() if pk else None
    if review is None or not policy.can_review_emergencies(by, review.program_id):
        audit.record(
            actor=by,
            action=Action.DENIED,
            outcome=Outcome.DENIED,
            target_type="emergency_review",
            target_id=pk or "",
            reason="not a review of the caller's programs",
        )
        raise policy.PatientNotFound()
    if review.used_by_id == by.pk:
        _deny(
            by, review.patient, "emergency_review", "the person who used emergency powers cannot attest them"
        )
        raise SharingNotAllowed
    text = " ".join(note.split()) if isinstance(note, str) else ""
    if not 5 <= len(text) <= 2000:
        raise SharingInvalid([FieldError("note", "write what you checked (5 to 2000 characters)")])
    with transaction.atomic():
        locked = EmergencyReview.objects.select_for_update().get(pk=review.pk)
        if locked.attested_at is not None:
            raise SharingInvalid([FieldError("review", "was already attested")])
        locked.attested_by, locked.attested_at, locked.note = by, now or timezone.now(), text
        locked.save(update_fields=["attested_by", "attested_at", "note"])
        audit.record_for_patient(
            by, review.patient, Action.UPDATE, "emergency_review", locked.pk, reason="attested"
        )
    return locked
