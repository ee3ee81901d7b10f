"""The opioid use disorder diagnosis as a FHIR R4 Condition, coded in ICD-10-CM and SNOMED CT.

From the latest DSM-5 opioid use disorder result (severity by criteria met: 2-3 mild, 4-5 moderate,
6+ severe).
Codes [clinical reference, third-pass correction 12; `icd10cm-f11`, `snomed-oud`; the same pairing in the HL7
SHIFT task force's OUD example, `shift-demo-oud`]: mild F11.10 Opioid abuse, uncomplicated + SNOMED 5602001
Opioid abuse; moderate or severe F11.20 Opioid dependence, uncomplicated + SNOMED 75544000 Opioid dependence;
in remission F11.11 / F11.21 with clinical status `remission`. Severity in SNOMED CT as FHIR R4's
condition-severity value set codes it (255604002 mild, 6736007 moderate, 24484000 severe; `fhir-r4`).
Category `problem-list-item`. A self-check the patient filled alone is `provisional`; a
clinician's, `confirmed`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from keel.interop.fhir.base import ICD10CM, SNOMED, instant, ref

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
SEVERITY = {
    "mild": ("255604002", "Mild"),
    "moderate": ("6736007", "Moderate"),
    "severe": ("24484000", "Severe"),
}
# (ICD-10-CM, its title, SNOMED CT, its term) by (severity group, in remission)
CODES = {
    ("mild", False): ("F11.10", "Opioid abuse, uncomplicated", "5602001", "Opioid abuse"),
    ("mild", True): ("F11.11", "Opioid abuse, in remission", "5602001", "Opioid abuse"),
    ("dependence", False): ("F11.20", "Opioid dependence, uncomplicated", "75544000", "Opioid dependence"),
    ("dependence", True): ("F11.21", "Opioid dependence, in remission", "75544000", "Opioid dependence"),
}


def condition(a: Any, *, remission: bool = False) -> dict[str, Any]:
    """One DSM-5 result (band mild/moderate/severe) as a Condition."""
    group = "mild" if a.band == "mild" else "dependence"
    icd, icd_title, sct, sct_term = CODES[(group, remission)]
    severity_code, severity_text = SEVERITY[a.band]
    staff = getattr(a.filled_by, "role", "") != "patient"
    out: dict[str, Any] = {
        "resourceType": "Condition",
        "id": f"oud-{a.pk}",
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "remission" if remission else "active"}]},
        "verificationStatus": {
            "coding": [{"system": VERIFICATION, "code": "confirmed" if staff else "provisional"}]
        },
        "category": [
            {"coding": [{"system": CATEGORY, "code": "problem-list-item", "display": "Problem List Item"}]}
        ],
        "severity": {"coding": [{"system": SNOMED, "code": severity_code, "display": severity_text}]},
        "code": {
            "coding": [
                {"system": ICD10CM, "code": icd, "display": icd_title},
                {"system": SNOMED, "code": sct, "display": sct_term},
            ],
            "text": f"Opioid use disorder, {a.band}" + (", in remission" if remission else ""),
        },
        "subject": ref("Patient", a.patient_id),
        "recordedDate": instant(a.filled_at),
        "evidence": [{"detail": [ref("QuestionnaireResponse", f"assessment-{a.pk}")]}],
    }
    out["recorder"] = ref("Practitioner", a.filled_by_id) if staff else ref("Patient", a.patient_id)
    return out


def condition_for(patient: Any, assessments: list[Any], now: datetime) -> dict[str, Any] | None:
    """The Condition from the latest DSM-5 result that met the criteria, if any."""
    latest = next(
        (a for a in reversed(assessments) if a.instrument == "dsm5-oud" and a.band in SEVERITY), None
    )
    return condition(latest) if latest is not None else None
