"""A patient's record as one FHIR R4 Bundle (type `collection`): Patient, the program as Organization,
EpisodeOfCare per enrollment, a Condition from the latest DSM-5 result, MedicationRequest per order,
MedicationAdministration per observed dose of the last 90 days, and each assessment as QuestionnaireResponse
plus Observations. Only the parts of the record the caller may see go in (`areas`). The Bundle carries the
42 CFR Part 2 security label (HL7 v3 ActCode `42CFRPart2`, confidentiality `R`) and the 2.32 notice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from keel.access.policy import Area
from keel.assessments import fhir as assessment_fhir
from keel.assessments.models import Assessment
from keel.core import sharing
from keel.patients.models import Enrollment, Patient, local_today
from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services import order_fhir

RECORD_NUMBER_SYSTEM = "https://keel.invalid/fhir/record-number"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DOSE_DAYS = 90
DSM5_SEVERITY = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}


def _patient(p: Patient) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": str(p.pk),
        "identifier": [{"system": f"{RECORD_NUMBER_SYSTEM}/{p.program.slug}", "value": p.record_number}],
        "name": [{"family": p.family_name, "given": [p.given_name]}],
        "birthDate": p.date_of_birth.isoformat(),
        "managingOrganization": {"reference": f"Organization/{p.program_id}"},
    }


def _organization(p: Patient) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": str(p.program_id), "name": p.program.name}


def _episode(e: Enrollment) -> dict[str, Any]:
    period: dict[str, str] = {"start": e.started_on.isoformat()}
    if e.ended_on:
        period["end"] = e.ended_on.isoformat()
    return {
        "resourceType": "EpisodeOfCare",
        "id": f"enrollment-{e.pk}",
        "status": "active" if e.status == "active" else "finished",
        "patient": {"reference": f"Patient/{e.patient_id}"},
        "managingOrganization": {"reference": f"Organization/{e.program_id}"},
        "period": period,
    }


def _condition(a: Assessment) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"oud-{a.pk}",
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "verificationStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}
            ]
        },
        "code": {"text": "Opioid use disorder (DSM-5 criteria)"},
        "severity": {"text": DSM5_SEVERITY[a.band]},
        "subject": {"reference": f"Patient/{a.patient_id}"},
        "recordedDate": a.filled_at.isoformat(),
        "evidence": [{"detail": [{"reference": f"QuestionnaireResponse/assessment-{a.pk}"}]}],
    }


def _administration(d: DoseRecord) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": f"dose-{d.pk}",
        "status": "completed" if d.status == "given" else "not-done",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": d.order.rxnorm, "display": d.medication}]
        },
        "subject": {"reference": f"Patient/{d.patient_id}"},
        "effectiveDateTime": d.recorded_at.isoformat(),
        "request": {"reference": f"MedicationRequest/{d.order_id}"},
        "dosage": {"dose": {"value": float(d.amount_mg), "unit": "mg"}},
    }


def record_bundle(patient: Patient, areas: frozenset[Area], now: datetime) -> dict[str, Any]:
    """The record as a FHIR R4 collection Bundle, limited to `areas` (identity is always in)."""
    resources: list[dict[str, Any]] = [_patient(patient), _organization(patient)]
    if Area.CLINICAL in areas:
        resources += [
            _episode(e) for e in Enrollment.objects.filter(patient=patient).order_by("started_on", "id")
        ]
        assessments = list(Assessment.objects.filter(patient=patient).order_by("filled_at", "id"))
        diagnosis = next(
            (a for a in reversed(assessments) if a.instrument == "dsm5-oud" and a.band in DSM5_SEVERITY), None
        )
        if diagnosis is not None:
            resources.append(_condition(diagnosis))
        resources += [
            order_fhir(o)
            for o in MedicationOrder.objects.filter(patient=patient).order_by("created_at", "id")
        ]
        since = local_today(patient, now) - timedelta(days=DOSE_DAYS)
        doses = DoseRecord.objects.filter(patient=patient, local_date__gte=since).select_related("order")
        resources += [_administration(d) for d in doses.order_by("local_date", "sequence", "id")]
        for a in assessments:
            resources += [assessment_fhir.questionnaire_response(a), *assessment_fhir.observations(a)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(),
        "meta": {
            "security": [
                {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part 2"},
                {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"},
            ],
            "tag": [
                {
                    "system": "https://keel.invalid/fhir/notice",
                    "code": "part2-notice",
                    "display": sharing.NOTICE,
                }
            ],
        },
        "entry": [{"fullUrl": f"urn:keel:{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }
