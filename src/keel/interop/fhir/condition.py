"""The opioid use disorder diagnosis as a FHIR R4 Condition, coded in ICD-10-CM and SNOMED CT.

From the latest DSM-5 opioid use disorder result (severity by criteria met: 2-3 mild, 4-5 moderate,
6+ severe).
Codes from keel.core.diagnosis (the one definition; cited there: `icd10cm-f11`, `icd10cm-f11-inclusion`,
`hl7-mcode-elixhauser`, `snomed-oud`; the same pairing in the HL7 SHIFT task force's OUD example,
`shift-demo-oud`): mild F11.10 Opioid abuse, uncomplicated + SNOMED 5602001 Opioid abuse; moderate or severe
F11.20 Opioid dependence, uncomplicated + SNOMED 75544000 Opioid dependence; in early or sustained remission
F11.11 / F11.21 with clinical status `remission`, the remission and the specifiers (on maintenance therapy, in
a controlled environment) in the code's text. Severity in SNOMED CT as FHIR R4's
condition-severity value set codes it (255604002 mild, 6736007 moderate, 24484000 severe; `fhir-r4`).
Category `problem-list-item`. A self-check the patient filled alone is `provisional`; a
clinician's, `confirmed`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from keel.assessments.fhir import changed_at
from keel.core import diagnosis
from keel.interop.fhir.base import ICD10CM, SNOMED, instant, last_updated, ref

if TYPE_CHECKING:
    from keel.assessments.models import Assessment
    from keel.patients.models import Patient

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
SEVERITY = {
    "mild": ("255604002", "Mild"),
    "moderate": ("6736007", "Moderate"),
    "severe": ("24484000", "Severe"),
}
SYSTEMS = {"icd10cm": ICD10CM, "snomed": SNOMED}
REMISSION_TEXT = {"early_remission": "in early remission", "sustained_remission": "in sustained remission"}
SPECIFIER_TEXT = {
    "on_maintenance_therapy": "on maintenance therapy",
    "in_controlled_environment": "in a controlled environment",
}


def condition(a: Assessment, *changed: datetime) -> dict[str, Any]:
    """One DSM-5 result that is an opioid use disorder (active or in remission) as a Condition; struck as
    entered in error, `verificationStatus` says so and `clinicalStatus` is absent (R4 invariant con-5; review
    36g hole 3). `changed`: other times the resource changed (strikes of later results, hole 4)."""
    parsed = diagnosis.parse_band(a.band)
    codes = diagnosis.codes_for(a.band)
    if parsed is None or codes is None:
        raise ValueError(f"not an opioid use disorder band: {a.band!r}")
    severity, status = parsed
    remission = status != diagnosis.ACTIVE
    severity_code, severity_text = SEVERITY[severity]
    staff = getattr(a.filled_by, "role", "") != "patient"
    flags = (a.result.get("flags") or []) if isinstance(a.result, dict) else []
    words = [f"Opioid use disorder, {severity}"]
    if remission:
        words.append(REMISSION_TEXT[status])
    words += [SPECIFIER_TEXT[f] for f in flags if f in SPECIFIER_TEXT]
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
            "coding": [{"system": SYSTEMS[c.system], "code": c.code, "display": c.display} for c in codes],
            "text": ", ".join(words),
        },
        "subject": ref("Patient", a.patient_id),
        "recordedDate": instant(a.filled_at),
        "evidence": [{"detail": [ref("QuestionnaireResponse", f"assessment-{a.pk}")]}],
    }
    out["recorder"] = ref("Practitioner", a.filled_by_id) if staff else ref("Patient", a.patient_id)
    if getattr(a, "entered_in_error", False):
        del out["clinicalStatus"]
        out["verificationStatus"] = {"coding": [{"system": VERIFICATION, "code": "entered-in-error"}]}
    # its correction's time once corrected (review 33e hole 4), and any later result's strike (36g hole 4)
    return last_updated(out, changed_at(a), *changed)


def condition_for(patient: Patient, assessments: list[Assessment], now: datetime) -> dict[str, Any] | None:
    """The Condition from the latest of these DSM-5 results that stands, when it is an opioid use disorder
    (active or in remission): a later "does not meet the criteria" leaves no Condition, as the patient page
    shows none. A result struck as entered in error after it changed what the Condition says: its strike is
    when the Condition last changed (review 36g hole 4). When the latest results are struck and none that
    stands is a diagnosis, the latest struck diagnosis is sent as entered in error (hole 3): the id another
    system holds is never a 404 that leaves the false diagnosis with it."""
    dsm = sorted((a for a in assessments if a.instrument == "dsm5-oud"), key=lambda a: (a.filled_at, a.pk))
    standing = [a for a in dsm if not getattr(a, "entered_in_error", False)]
    latest = standing[-1] if standing else None
    after = dsm[dsm.index(latest) + 1 :] if latest is not None else dsm  # all struck
    strikes = [changed_at(a) for a in after]
    if latest is not None and latest.band in diagnosis.BANDS:
        return condition(latest, *strikes)
    struck = [a for a in after if a.band in diagnosis.BANDS]
    return condition(struck[-1], *strikes) if struck else None
