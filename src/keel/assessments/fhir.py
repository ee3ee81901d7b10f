"""An assessment as FHIR R4: a QuestionnaireResponse plus an Observation for each score (total, composites,
risk level). LOINC codes only where Keel's clinical reference verifies them; otherwise a Keel code system."""

from __future__ import annotations

from typing import Any

from keel.assessments.models import Assessment
from keel.core.instruments import registry

KEEL_SCORES = "https://keel.invalid/fhir/CodeSystem/instrument-score"
LOINC = "http://loinc.org"
CSSRS_RISK_LEVEL_LOINC = "93374-7"  # verified in the reference (US Behavioral Health Profiles IG)


def _iso(dt: Any) -> str:
    return str(dt.isoformat())


def questionnaire_response(a: Assessment) -> dict[str, Any]:
    instrument = registry.get(a.instrument)
    doc = registry.questionnaire(a.instrument)
    items = []
    for item in instrument.items:
        value = a.answers.get(item.link_id)
        if value is None:
            continue
        option = next(o for o in item.options if o.value == value)
        coding: dict[str, Any] = {"code": option.code, "display": option.display}
        if option.code.startswith("LA"):
            coding["system"] = LOINC
        entry: dict[str, Any] = {
            "linkId": item.link_id,
            "text": item.text,
            "answer": [{"valueCoding": coding}],
        }
        items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"assessment-{a.pk}",
        "questionnaire": f"{doc['url']}|{a.instrument_version}",
        "status": "completed",
        "subject": {"reference": f"Patient/{a.patient_id}"},
        "authored": _iso(a.filled_at),
        "item": items,
    }


def _observation(a: Assessment, suffix: str, code: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"assessment-{a.pk}-{suffix}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                        "display": "Survey",
                    }
                ]
            }
        ],
        "code": code,
        "subject": {"reference": f"Patient/{a.patient_id}"},
        "effectiveDateTime": _iso(a.filled_at),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/assessment-{a.pk}"}],
        **value,
    }


def observations(a: Assessment) -> list[dict[str, Any]]:
    instrument = registry.get(a.instrument)
    result = a.result
    out = []
    if a.total is not None:
        coding = [
            {"system": KEEL_SCORES, "code": f"{a.instrument}-total", "display": f"{instrument.title} total"}
        ]
        if instrument.loinc_total:
            coding.insert(0, {"system": LOINC, "code": instrument.loinc_total})
        value: dict[str, Any] = {"valueInteger": a.total}
        if result.get("band"):
            value["interpretation"] = [{"text": result["band"]["label"]}]
        out.append(_observation(a, "total", {"coding": coding, "text": f"{a.instrument} total"}, value))
    for name, number in (result.get("composites") or {}).items():
        code = {
            "coding": [{"system": KEEL_SCORES, "code": f"{a.instrument}-{name}"}],
            "text": f"{a.instrument} {name}",
        }
        out.append(_observation(a, name, code, {"valueInteger": number}))
    if a.instrument == "cssrs-screen" and result.get("band"):
        code = {"coding": [{"system": LOINC, "code": CSSRS_RISK_LEVEL_LOINC}], "text": "Suicide risk level"}
        out.append(_observation(a, "risk", code, {"valueCodeableConcept": {"text": result["band"]["label"]}}))
    return out


def bundle(a: Assessment) -> dict[str, Any]:
    """A collection Bundle: the QuestionnaireResponse first, then its Observations."""
    resources = [questionnaire_response(a), *observations(a)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:keel:{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }
