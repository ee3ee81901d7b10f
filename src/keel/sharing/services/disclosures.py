"""A progress report released under a consent or in a medical emergency (42 CFR 2.31, 2.51): the report
itself (only the sections named) and the disclosure, decided again inside the write's transaction."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from keel.access import policy
from keel.access.policy import Area
from keel.assessments import queries as assessment_queries
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import sharing as core
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.patients.models import Enrollment, EnrollmentStatus, Patient, local_today
from keel.recovery.models import CheckIn
from keel.sharing.models import Basis, Disclosure, EmergencyReview, ReviewKind
from keel.sharing.services.common import (
    SharingInvalid,
    SharingNotAllowed,
    _covered,
    _deny,
    _invalid,
    legal_name,
    reauthenticate,
)
from keel.treatment.models import DoseRecord, MedicationOrder, OrderStatus

if TYPE_CHECKING:
    from keel.accounts.models import User


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
    *, by: User, patient_id: int | str, raw: Mapping[str, Any], now: datetime | None = None
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
