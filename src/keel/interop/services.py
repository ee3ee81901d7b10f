"""FHIR in and out, through the access policy: the record as a Bundle (audited as an export), and a
QuestionnaireResponse from another system filed as an assessment (scored, flagged and audited as usual)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from keel.access import policy
from keel.assessments.models import Assessment
from keel.assessments.services import patient_for_recording, submit_assessment
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.instruments.fhir_import import parse_questionnaire_response
from keel.core.rules.inputs import FieldsInvalid, InvalidInput
from keel.interop.fhir import record_bundle
from keel.sharing.services import reauthenticate


class FhirInvalid(FieldsInvalid):
    """A FHIR document that cannot be read, each problem named by its JSON path."""


def export_record(
    user: Any, patient_id: int | str, *, password: Any, now: datetime | None = None
) -> dict[str, Any]:
    """The care team's export of a record (what the caller may see of it), after the password again; one
    `export` audit row. Sending it outside the program is a disclosure and goes through `keel.sharing`."""
    patient = policy.get_patient_or_404(
        user, patient_id, action=Action.EXPORT, target_type="fhir_bundle", audit_success=False
    )
    reauthenticate(user, patient, password, "fhir_bundle")
    audit.record_for_patient(user, patient, Action.EXPORT, "fhir_bundle")
    return record_bundle(patient, policy.areas_for_role(user.role), now or timezone.now())


def my_record(user: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """The patient's own copy of their record (the right of access); one `export` audit row."""
    patient = policy.own_patient_or_404(user, action=Action.EXPORT, target_type="fhir_bundle")
    return record_bundle(patient, policy.areas_for_role(user.role), now or timezone.now())


def import_response(
    user: Any, patient_id: int | str, doc: Any, *, now: datetime | None = None
) -> tuple[Assessment, bool]:
    """File a PHQ-9 QuestionnaireResponse from another system for this patient. Returns the assessment and
    whether it is new: the same answers at the same time for the same patient are the same response, filed
    once (a resend answers with the first)."""
    now = now or timezone.now()
    patient = patient_for_recording(user, patient_id if isinstance(patient_id, int) else None, "phq9")
    try:
        parsed = parse_questionnaire_response(doc, instrument="phq9", now=now)
    except InvalidInput as exc:
        raise FhirInvalid(exc.errors) from None
    existing = (
        Assessment.objects.filter(patient=patient, instrument=parsed.instrument, filled_at=parsed.authored)
        .order_by("id")
        .first()
    )
    if existing is not None and existing.answers == parsed.answers:
        audit.record_for_patient(user, patient, Action.READ, "assessment", existing.pk, reason="FHIR resend")
        return existing, False
    assessment, _result = submit_assessment(
        by=user,
        patient_id=patient.pk,
        instrument=parsed.instrument,
        answers=parsed.answers,
        filled_at=parsed.authored,
    )
    return assessment, True
