"""A progress report released under a consent or in a medical emergency (42 CFR 2.31, 2.51): the report
itself (only the sections named) and the disclosure, decided again inside the write's transaction."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NotRequired, TypedDict

from django.db import transaction
from django.utils import timezone

from keel.access import policy
from keel.access.policy import Area
from keel.accounts import services as accounts
from keel.api_body import Posted
from keel.assessments import queries as assessment_queries
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import sharing as core
from keel.core.resend import SAME_FORM_WINDOW
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.patients.models import Enrollment, EnrollmentStatus, Patient, local_today, zone_of
from keel.recovery.models import CheckIn
from keel.sharing.errors import SharingInvalid
from keel.sharing.models import Basis, Consent, Disclosure, EmergencyReview, ReviewKind
from keel.sharing.schemas import DisclosureIn
from keel.sharing.services.common import (
    OTHER_RECIPIENT,
    TokenOtherRecipient,
    _covered,
    _deny,
    _invalid,
    _not_allowed,
    bind_token,
    died_meanwhile,
    legal_name,
    reauthenticate,
    refuse_after_death,
    refuse_other_recipient,
    refuse_token_before_state,
    refuse_token_emergency,
)
from keel.sharing.services.token_first import disclosure_by_token
from keel.treatment.models import DoseRecord, MedicationOrder, in_force_q

if TYPE_CHECKING:
    from keel.accounts.models import User


class ReportPatient(TypedDict):
    """Whom a progress report is about: the name on the record, the birth date ("" when not shown)."""

    name: str
    date_of_birth: str


class ReportSection(TypedDict):
    """One section of a progress report: its category, its title (`core.CATEGORIES`) and its lines."""

    category: str
    title: str
    lines: list[str]


class ProgressReport(TypedDict):
    """The progress report `report` builds: whom it is about, the program, when, and its sections."""

    patient: ReportPatient
    program: str
    prepared_at: str  # ISO datetime
    sections: list[ReportSection]


class DisclosureStamp(TypedDict):
    """The disclosure a released report belongs to, added once its row is written."""

    id: int
    basis: str
    sha256: str  # of the document before the stamp


class ReleasedReport(ProgressReport):
    """The report as it leaves: the terms every disclosure carries (`with_terms`' keys: the 2.32 notice and
    the consent's scope, or the emergency's facts) and, on its way out, the disclosure's stamp."""

    notice: str
    scope: str
    disclosure: NotRequired[DisclosureStamp]


def report(
    patient: Patient, categories: tuple[str, ...], now: datetime, *, areas: frozenset[Area]
) -> ProgressReport:
    """The progress report: only the sections named. Plain facts, no notes, no free text. The patient's
    protected fields (the birth date) only for a discloser whose role sees them (`policy.field_visible`, the
    one field-level policy every output asks)."""
    today = local_today(patient, now)
    month_ago = today - timedelta(days=30)
    sections: list[ReportSection] = []
    for category in categories:
        said = _SECTIONS.get(category)
        lines = said(patient, today, month_ago) if said is not None else []
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


@dataclass(frozen=True)
class _Release:
    """Who the report goes to and why: a consent's terms, or an emergency's facts."""

    consent: Consent | None
    categories: tuple[str, ...]
    recipient: str
    role: str
    affiliation: str
    nature: str
    purpose: str
    purpose_text: str
    scope: str


def _enrollment_lines(patient: Patient, today: date, month_ago: date) -> list[str]:
    """Since when the person is in care, and whether care goes on."""
    active = Enrollment.objects.filter(patient=patient, status=EnrollmentStatus.ACTIVE).first()
    first = Enrollment.objects.filter(patient=patient).order_by("started_on").first()
    return [
        f"In care since {first.started_on.isoformat()}." if first else "No enrollment on record.",
        "Care is ongoing." if active else "Not in care at this program now.",
    ]


def _medication_lines(patient: Patient, today: date, month_ago: date) -> list[str]:
    """The orders in force on the person's today and the days with an observed dose in the last 30."""
    lines = []
    # only the orders in force on the person's today (`in_force_q`): the consent's category is
    # "current medicine and dose" (42 CFR 2.31), so an order written to start later is not disclosed
    # (review 19d; review 19a: never a future dose reported as today's)
    for order in MedicationOrder.objects.filter(in_force_q(today), patient=patient).order_by("id"):
        dose = f"{order.dose_mg.normalize():f} mg, {order.frequency}"
        lines.append(f"{order.get_medication_display()} {dose}.")
    given = DoseRecord.objects.filter(
        patient=patient, status="given", local_date__gt=month_ago, local_date__lte=today
    ).exclude(amendments__voided=True)
    lines.append(f"Observed doses in the last 30 days: {given.values('local_date').distinct().count()}.")
    return lines


def _checkin_lines(patient: Patient, today: date, month_ago: date) -> list[str]:
    """The check-ins of the last 30 days: how many, the average craving and mood, the days with use."""
    rows = list(CheckIn.objects.filter(patient=patient, local_date__gt=month_ago, local_date__lte=today))
    lines = [f"Check-ins in the last 30 days: {len(rows)}."]
    if rows:
        lines.append(f"Average craving: {statistics.fmean(r.craving for r in rows):.1f} of 10.")
        lines.append(f"Average mood: {statistics.fmean(r.mood for r in rows):.1f} of 5.")
        lines.append(f"Days with reported use: {sum(r.used for r in rows)}.")
    return lines


def _screening_lines(patient: Patient, today: date, month_ago: date) -> list[str]:
    """The latest PHQ-9 and GAD-7 (the one definition of "latest"), or none on record; each dated on the
    person's program's clock (`zone_of`, the day her pages and FHIR `authored` show; review 33b H3: never the
    server's)."""
    lines, zone = [], zone_of(patient)
    for code, name in (("phq9", "PHQ-9"), ("gad7", "GAD-7")):
        latest = assessment_queries.latest(patient, code)
        if latest is None:
            lines.append(f"{name}: none on record.")
        else:
            when = latest.filled_at.astimezone(zone).date().isoformat()
            lines.append(f"{name}: {latest.total} ({latest.band.replace('_', ' ')}) on {when}.")
    return lines


_SECTIONS: dict[str, Callable[[Patient, date, date], list[str]]] = {
    "enrollment": _enrollment_lines,
    "medication": _medication_lines,
    "checkins": _checkin_lines,
    "screenings": _screening_lines,
}


def _parse(by: User, patient: Patient, data: Posted[DisclosureIn]) -> DisclosureIn:
    """Guards 2-4 (`core.parse_disclosure`): the basis is a consent or an emergency; the categories asked
    are a list of kinds of information, never the whole record; the request names its recipient and purpose
    (or an emergency's facts) before anything else, a refused attempt audited, naming the fields (never
    their values)."""
    try:
        return data.parse()
    except core.TermsInvalid as exc:
        _deny(by, patient, "disclosure", "refused: " + ", ".join(e.field for e in exc.errors))
        raise _invalid(exc) from None
    except InvalidInput as exc:
        raise _invalid(exc) from None


def _consented(
    by: User,
    patient: Patient,
    body: DisclosureIn,
    asked: tuple[str, ...],
    today: date,
) -> _Release:
    """Guard 6 (consent): the consent covers what is asked today, and names this recipient and purpose."""
    consent, categories, refusal = _covered(patient, body.consent, asked, today)
    if refusal:
        _deny(by, patient, "disclosure", refusal.reason)
        raise SharingInvalid([refusal])
    assert consent is not None
    wrong = core.mismatches(
        body.request(),
        recipient_name=consent.recipient_name,
        purpose=consent.purpose,
        purpose_text=consent.purpose_text,
    )
    if wrong:
        _deny(by, patient, "disclosure", "; ".join(f"{e.field} {e.reason}" for e in wrong))
        raise SharingInvalid(wrong)
    scope = core.scope(
        consent.recipient_name, consent.purpose, consent.purpose_text, categories, consent.expires_on
    )
    return _Release(
        consent, categories, consent.recipient_name, "", "", "", consent.purpose, consent.purpose_text, scope
    )


def _emergency(terms: core.EmergencyTerms) -> _Release:
    """Step 6 (emergency): the recipient and the nature of the emergency as given; no consent, no scope."""
    return _Release(
        None,
        terms.categories,
        terms.recipient_name,
        terms.recipient_role,
        terms.recipient_affiliation,
        terms.nature,
        "emergency",
        "",
        "",
    )


def _recheck_consent(
    patient: Patient, release: _Release, asked: tuple[str, ...], today: date
) -> FieldError | None:
    """Guard 7 (inside the write's transaction, the consent row locked): a revocation that landed in between
    wins."""
    if release.consent is None:
        return None
    _, _, late = _covered(patient, release.consent.pk, asked, today, lock=True)
    return late


def _document(by: User, patient: Patient, release: _Release, now: datetime) -> ReleasedReport:
    """Step 8: the report of the sections named, with the notice and the scope (or the emergency's)."""
    document = report(patient, release.categories, now, areas=policy.areas_of(by))
    scope = release.scope or (
        f"Medical emergency (42 CFR 2.51): disclosed to {release.recipient} "
        f"({core.MEDICAL_ROLES[release.role]}), {release.affiliation}. "
        f"Nature of the emergency: {release.nature}."
    )
    return ReleasedReport(  # the report's keys, then the terms as `with_terms` carries them
        patient=document["patient"],
        program=document["program"],
        prepared_at=document["prepared_at"],
        sections=document["sections"],
        notice=core.NOTICE,
        scope=scope,
    )


def _record_disclosure(
    by: User, patient: Patient, basis: str, release: _Release, digest: str, now: datetime
) -> Disclosure:
    """Step 9 (inside the write's transaction): the disclosure row; an emergency's flagged for review."""
    disclosure = Disclosure.objects.create(
        patient=patient,
        basis=basis,
        consent=release.consent,
        recipient_name=release.recipient,
        recipient_affiliation=release.affiliation,
        recipient_role=release.role,
        purpose=release.purpose,
        purpose_text=release.purpose_text,
        emergency_nature=release.nature,
        categories=list(release.categories),
        description=core.progress_report_description(release.categories),
        scope=release.scope,
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
            reason=release.nature,
            raised_at=now,
        )
    return disclosure


def _audit_disclosure(
    by: User, patient: Patient, basis: str, release: _Release, disclosure: Disclosure
) -> None:
    """Step 10 (inside the write's transaction): the disclosure's audit row."""
    audit.record_for_patient(
        by,
        patient,
        Action.DISCLOSE,
        "disclosure",
        disclosure.pk,
        reason="medical emergency" if basis == Basis.EMERGENCY else "",
        detail={
            "basis": str(basis),
            "consent_id": release.consent.pk if release.consent else None,
            "categories": list(release.categories),
        },
    )


def _patient_to_disclose(by: User, patient_id: int | str) -> Patient:
    """Guard 1: a role that may not disclose is refused, audited; else the record as the discloser may reach
    it, break-the-glass included (a disclosure under a consent is then held to the care team:
    `_care_team_only`)."""
    return policy.get_patient_for_action_or_404(
        by,
        patient_id,
        Action.DISCLOSE,
        area=Area.CLINICAL,
        target_type="disclosure",
        allowed=policy.can_disclose(by),
        what="disclose",
        error=_not_allowed,
        emergency_access=True,
        audit_success=False,
    )


def _care_team_only(by: User, patient: Patient, basis: str) -> None:
    """Under a consent: the care team's; only 42 CFR 2.51's disclosure to medical personnel in an emergency is
    open to a clinician who reached the record through break-the-glass (review 17b: an off-team nurse sent a
    report to a drug court under the person's consent)."""
    if basis != Basis.EMERGENCY:
        policy.get_patient_for_action_or_404(
            by,
            patient.pk,
            Action.DISCLOSE,
            area=Area.CLINICAL,
            target_type="disclosure",
            what="disclose",
            error=_not_allowed,
            emergency_access=False,
            audit_success=False,
        )


def _refuse_by_token(by: User, patient: Patient, token: str | None, basis: str, recipient: str) -> None:
    """A token bound to another recipient is told so first (review 22f); then an emergency by any token
    (review 22g: only a session declares one); then a token issued for no recipient (review 25b, H5)."""
    if token is not None and accounts.token_recipient(token):
        refuse_other_recipient(by, patient, "disclosure", token, recipient)
    refuse_token_emergency(by, patient, "disclosure", token, basis)
    refuse_other_recipient(by, patient, "disclosure", token, recipient)


@dataclass(frozen=True)
class _Asked:
    """What a disclosure asks, and when: its basis, the categories asked, the patient's today and the
    instant."""

    basis: str
    categories: tuple[str, ...]
    today: date
    now: datetime


# Review 26b (H12): the same emergency form sent again by the same person a moment later (a second press of
# "Disclose" while the ED is on the phone) is the same disclosure: answered with the first one, nothing more
# written, audited as an "idempotent replay" (the API's word for a request sent again). The page carries no
# key to tell a second press by, so the request's facts are the key: the same discloser, patient, recipient
# (person, role, facility), nature and sections, within this window. Not a clinical number: how long a
# double submit of one form can take to arrive; a disclosure of the same facts after it is a new one
# (`keel.core.resend.SAME_FORM_WINDOW`, shared with an instrument's result: review 36h hole 3).


def _same_emergency(by: User, patient: Patient, release: _Release, now: datetime) -> Disclosure | None:
    """The emergency disclosure this request repeats (`SAME_FORM_WINDOW`), if any; the patient's row locked
    first so two presses at once are decided one after the other."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    wanted = list(release.categories)
    same = Disclosure.objects.filter(
        patient=patient,
        basis=Basis.EMERGENCY,
        disclosed_by=by,
        recipient_name=release.recipient,
        recipient_role=release.role,
        recipient_affiliation=release.affiliation,
        emergency_nature=release.nature,
        disclosed_at__gte=now - SAME_FORM_WINDOW,
        disclosed_at__lte=now,
    ).order_by("disclosed_at", "id")
    return next((d for d in same if d.categories == wanted), None)


def _replayed(by: User, patient: Patient, release: _Release, first: Disclosure) -> tuple[ReleasedReport, str]:
    """The first disclosure's document again (as it was prepared), and its digest; audited as a replay."""
    document = _document(by, patient, release, first.disclosed_at)
    audit.record_for_patient(by, patient, Action.READ, "disclosure", first.pk, reason="idempotent replay")
    return document, first.document_sha256


def _released(
    by: User, patient: Patient, release: _Release, asked: _Asked, token: str | None
) -> tuple[Disclosure, ReleasedReport, str]:
    """Guards 7-10 in one transaction: the consent checked again (locked), the token bound to its recipient,
    the document, its row and its audit row; the row, the document and its digest back. A refusal is audited
    outside the transaction, which wrote nothing."""
    basis, now = asked.basis, asked.now
    try:
        with transaction.atomic():
            died = died_meanwhile(patient, basis)  # a death recorded since `refuse_after_death` asked
            refusal = None if died else _recheck_consent(patient, release, asked.categories, asked.today)
            first = (
                _same_emergency(by, patient, release, now) if basis == Basis.EMERGENCY and not died else None
            )
            if first is not None:
                document, digest = _replayed(by, patient, release, first)
                return first, document, digest
            if refusal is None and not died:
                bind_token(token, release.recipient)
                document = _document(by, patient, release, now)
                digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
                disclosure = _record_disclosure(by, patient, basis, release, digest, now)
                _audit_disclosure(by, patient, basis, release, disclosure)
    except TokenOtherRecipient:  # audited outside the transaction, which wrote nothing
        _deny(by, patient, "disclosure", OTHER_RECIPIENT)
        raise
    if died:  # audited outside the transaction, which wrote nothing
        refuse_after_death(by, patient, "disclosure", basis)
    if refusal is not None:  # audited outside the transaction, which wrote nothing
        _deny(by, patient, "disclosure", refusal.reason)
        raise SharingInvalid([refusal])
    return disclosure, document, digest


def disclose(
    *,
    by: User,
    patient_id: int | str,
    data: Posted[DisclosureIn],
    now: datetime | None = None,
    token: str | None = None,
) -> tuple[Disclosure, ReleasedReport]:
    """Release a progress report under a consent, or in a medical emergency; returns the row and the document
    (which carries the notice and the scope). Nothing leaves and nothing is written unless every check
    passes; each refusal is audited. `token`: the secret of the API token the report is released with (None
    for a session): it releases to one recipient only, as every release by a token (review 22f: a token
    bound to the county ED sent a report to the patient's employer), and only under a consent: a token never
    declares a medical emergency (review 22g, `refuse_token_emergency`). A token's refusals and the password
    come before the death is asked (`refuse_after_death`), so a token is answered the same for the living
    and the dead (review 30c H2: 42 CFR 2.13(a)); and a token is answered alike for every person until the
    consent it names is theirs and names its recipient (`disclosure_by_token`, review 31b H2, H3)."""
    now = now or timezone.now()
    if token is not None:  # review 31b H2, H3: the person looked up only past a consent naming the token's
        body = disclosure_by_token(by, patient_id, data, token)  # recipient, else the 404 of no one
        patient = _patient_to_disclose(by, patient_id)
    else:
        patient = _patient_to_disclose(by, patient_id)  # guard 1: a role that may not disclose, audited
        body = _parse(by, patient, data)
    basis, asked = body.basis, tuple(body.categories or ())
    _care_team_only(by, patient, basis)
    reauthenticate(by, patient, body.password, "disclosure")  # guard 5
    if basis != Basis.CONSENT:  # a token's refusals before any state of the record (review 30c H2)
        release = _emergency(body.emergency())
        _refuse_by_token(by, patient, token, basis, release.recipient)
    refuse_after_death(by, patient, "disclosure", basis)  # review 28a H8: no emergency after a death
    today = local_today(patient, now)
    if basis == Basis.CONSENT:  # a token: never another recipient's consent's state (lane priv30)
        refuse_token_before_state(by, patient, "disclosure", token, body.consent)
        release = _consented(by, patient, body, asked, today)
        _refuse_by_token(by, patient, token, basis, release.recipient)
    disclosure, document, digest = _released(by, patient, release, _Asked(basis, asked, today, now), token)
    document["disclosure"] = {"id": disclosure.pk, "basis": str(basis), "sha256": digest}
    return disclosure, document
