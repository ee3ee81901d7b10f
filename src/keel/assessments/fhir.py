"""An assessment as FHIR R4: the Questionnaire it answers, a QuestionnaireResponse, and Observations.

- The Questionnaire is Keel's definition with its canonical URL at Keel's FHIR endpoint
  (`<base>Questionnaire/phq9`), so the response's `questionnaire` canonical resolves there and to the copy in

  same Bundle. Item and panel LOINC codes come from the definitions (PHQ-9 panel 44249-1, items 44250-9 ...
  44260-8; GAD-7 panel 69737-5, items 69725-0 ... 69736-7: source ids `loinc-44249-1`, `loinc-69737-5`).
- Every answer is coded with a system: LOINC answers as they are (LL358-3), yes/no as LOINC LA33-6 / LA32-8
  (`loinc-yes-no`), other scores in a Keel code system per instrument.
- Observations: a total (LOINC where verified: PHQ-9 44261-6, GAD-7 70274-6), composites, the C-SSRS risk
  level (93374-7); for PHQ-9 and GAD-7 also the LOINC panel Observation whose members are one Observation per
  item (its LOINC code, the LOINC answer) and the total, as US Core's screening examples do (`us-core-stu7`).
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from keel.assessments.models import Assessment
from keel.assessments.schemas import status_of
from keel.core.instruments import registry
from keel.core.instruments.fhir_import import EXTRA_ITEM_LOINC
from keel.interop.fhir.base import KEEL, LOINC, Base, instant, last_updated, ref

KEEL_SCORES = f"{KEEL}/CodeSystem/instrument-score"
CSSRS_RISK_LEVEL_LOINC = "93374-7"  # verified in the reference (US Behavioral Health Profiles IG)
YES_NO = {  # loinc-yes-no
    "yes": {"system": LOINC, "code": "LA33-6", "display": "Yes"},
    "no": {"system": LOINC, "code": "LA32-8", "display": "No"},
}
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}


def answer_coding(instrument: str, code: str, display: str) -> dict[str, Any]:
    """An answer option as a Coding that names its system."""
    if code in YES_NO:
        return dict(YES_NO[code])
    if code.startswith("LA"):
        return {"system": LOINC, "code": code, "display": display}
    return {"system": f"{KEEL}/CodeSystem/{instrument}-answer", "code": code, "display": display}


def canonical(base: Base, code: str) -> str:
    return f"{base.url}Questionnaire/{code}"


def questionnaire_id(code: str, version: str | None = None) -> str:
    """The resource id of an instrument's Questionnaire: the code for the current version, `<code>-v<version>`
    for an earlier one (all share one canonical URL and differ by `version`)."""
    if version is None or version == registry.questionnaire(code)["version"]:
        return code
    return f"{code}-v{version}"


def from_id(rid: str) -> tuple[str, str] | None:
    """The (code, version) a Questionnaire id names, or None when it names none Keel serves."""
    for code in registry.codes():
        for version in registry.versions(code):
            if questionnaire_id(code, version) == rid:
                return code, version
    return None


def response_canonical(base: Base, code: str, version: str) -> str:
    """What a response's `questionnaire` says: the canonical with the version it was filed under, which Keel
    serves; a version Keel never served (not made by Keel) points at the canonical alone."""
    if version in registry.versions(code):
        return f"{canonical(base, code)}|{version}"
    return canonical(base, code)


def questionnaire(code: str, base: Base, version: str | None = None) -> dict[str, Any]:
    """Keel's definition of an instrument (at `version`, else the current one) as the FHIR Questionnaire that
    responses point to."""
    source = registry.questionnaire(code) if version is None else registry.questionnaire_at(code, version)
    doc = copy.deepcopy(source)
    doc["id"] = questionnaire_id(code, doc["version"])
    doc["url"] = canonical(base, code)
    doc["identifier"] = [{"system": f"{KEEL}/instrument", "value": code}]
    doc["subjectType"] = ["Patient"]
    for item in doc["item"]:
        for option in item.get("answerOption", []):
            coding = option["valueCoding"]
            translated = {k: v for k, v in coding.items() if k == "_display"}
            option["valueCoding"] = {
                **answer_coding(code, coding["code"], coding.get("display", "")),
                **translated,
            }
        for condition in item.get("enableWhen", []):
            if "answerCoding" in condition:
                raw = condition["answerCoding"]
                condition["answerCoding"] = answer_coding(code, raw["code"], raw.get("display", ""))
    return doc


def author_ref(a: Assessment) -> dict[str, str]:
    """Who gave the answers: the Patient for her own filing (the role stored when filed, `self_filed`; lane
    fix38d), else the staff member who filed it."""
    if a.self_filed:
        return ref("Patient", a.patient_id)
    return ref("Practitioner", a.filled_by_id)


def _kept_answers(a: Assessment, imported: bool) -> list[dict[str, Any]]:
    """The answers to unscored items another system sent (PHQ-9 item 10), as items of the Questionnaire the
    response points to; they never change the score."""
    provenance = getattr(a, "imported_from", None) if imported else None
    kept = getattr(provenance, "extra_answers", None) or {}
    if not kept:
        return []
    try:
        doc = registry.questionnaire_at(a.instrument, a.instrument_version)
    except KeyError:
        doc = registry.questionnaire(a.instrument)
    by_loinc = {
        c["code"]: raw
        for raw in doc["item"]
        if registry.not_scored(raw)
        for c in raw.get("code", [])
        if c.get("system") == LOINC
    }
    out = []
    for key, code in kept.items():
        raw = by_loinc.get(EXTRA_ITEM_LOINC.get(key, ""))
        options = (raw or {}).get("answerOption", [])
        option = next((o for o in options if o["valueCoding"]["code"] == code), None)
        if raw is None or option is None:
            continue
        coding = option["valueCoding"]
        out.append(
            {
                "linkId": raw["linkId"],
                "text": raw["text"],
                "answer": [{"valueCoding": answer_coding(a.instrument, coding["code"], coding["display"])}],
            }
        )
    return out


def answered(a: Assessment, imported: bool) -> str:
    """When the answers were given, as FHIR says it: the instant, or (lane fix33f, review 33d H3) the date
    alone when another system sent a date without a time (`ImportedResponse.authored`, kept as sent): never
    the program's midnight Keel files it at, a time nobody gave. `imported`: the row's `imported_from` is
    loaded (select_related), so no query per assessment."""
    provenance = getattr(a, "imported_from", None) if imported else None
    sent = getattr(provenance, "authored", "")
    if len(sent) == 10:
        try:
            return date.fromisoformat(sent).isoformat()
        except ValueError:
            pass
    return instant(a.filled_at)


# Review 33c hole 4: a corrected response is `amended` (its answers the corrected ones), one entered in error
# `entered-in-error` (R4 QuestionnaireResponse.status; an Observation's status says the same words).
_RESPONSE_STATUS = {"final": "completed", "amended": "amended", "entered-in-error": "entered-in-error"}


def changed_at(a: Assessment) -> datetime:
    """When the resource last changed: its correction in force, else when it was stored."""
    return a.correction.corrected_at if a.correction is not None else (a.created_at or a.filled_at)


def questionnaire_response(a: Assessment, base: Base, *, imported: bool = False) -> dict[str, Any]:
    """The answers, each coded; `authored` as sent when the response came from another system date-only."""
    instrument = registry.get(a.instrument)
    items = []
    for item in instrument.items:
        value = a.answers.get(item.link_id)
        if value is None:
            continue
        option = next(o for o in item.options if o.value == value)
        items.append(
            {
                "linkId": item.link_id,
                "text": item.text,
                "answer": [{"valueCoding": answer_coding(a.instrument, option.code, option.display)}],
            }
        )
    items += _kept_answers(a, imported)
    out: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"assessment-{a.pk}",
        "questionnaire": response_canonical(base, a.instrument, a.instrument_version),
        "status": _RESPONSE_STATUS[status_of(a)],
        "subject": ref("Patient", a.patient_id),
        "authored": answered(a, imported),
    }
    if items:  # none for a result withheld from her own copy (lane fix38d); FHIR has no empty array
        out["item"] = items
    if not imported:  # an imported response's author is the sender's, kept in its Provenance
        out["author"] = author_ref(a)
    return last_updated(out, changed_at(a))  # stored once, changed only by a correction (review 33c)


def _observation(
    a: Assessment, suffix: str, code: dict[str, Any], value: dict[str, Any], imported: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"assessment-{a.pk}-{suffix}",
        "status": status_of(a),  # final, amended (the corrected value) or entered-in-error
        "category": [SURVEY],
        "code": code,
        "subject": ref("Patient", a.patient_id),
        "effectiveDateTime": answered(a, imported),
        # when it was entered in Keel's record, beside its time of scoring: a late entry shows (review 39c)
        "issued": instant(a.created_at),
        "derivedFrom": [ref("QuestionnaireResponse", f"assessment-{a.pk}")],
        **value,
    }
    return last_updated(out, changed_at(a))


def _panel(a: Assessment, total: dict[str, Any] | None, imported: bool) -> list[dict[str, Any]]:
    """PHQ-9 and GAD-7: an Observation per item (its LOINC code and answer) and the panel holding them."""
    doc = registry.questionnaire(a.instrument)
    panel_code = next((c for c in doc.get("code", []) if c.get("system") == LOINC), None)
    instrument = registry.get(a.instrument)
    if panel_code is None or any(not item.loinc for item in instrument.items):
        return []
    members = []
    for n, item in enumerate(instrument.items, start=1):
        value = a.answers.get(item.link_id)
        if value is None:
            continue
        option = next(o for o in item.options if o.value == value)
        members.append(
            _observation(
                a,
                f"item{n}",
                {"coding": [{"system": LOINC, "code": item.loinc, "display": item.text}], "text": item.text},
                {
                    "valueCodeableConcept": {
                        "coding": [answer_coding(a.instrument, option.code, option.display)]
                    }
                },
                imported,
            )
        )
    panel = _observation(
        a,
        "panel",
        {"coding": [dict(panel_code)], "text": instrument.title},
        {
            "hasMember": [ref("Observation", m["id"]) for m in members]
            + ([ref("Observation", total["id"])] if total else [])
        },
        imported,
    )
    return [panel, *members]


def observations(a: Assessment, *, imported: bool = False) -> list[dict[str, Any]]:
    """The results as Observations; `imported`: as in `answered`."""
    instrument = registry.get(a.instrument)
    result = a.result
    out = []
    total = None
    if a.total is not None:
        coding = [
            {"system": KEEL_SCORES, "code": f"{a.instrument}-total", "display": f"{instrument.title} total"}
        ]
        if instrument.loinc_total:
            coding.insert(0, {"system": LOINC, "code": instrument.loinc_total})
        value: dict[str, Any] = {"valueInteger": a.total}
        if result.get("band"):
            value["interpretation"] = [{"text": result["band"]["label"]}]
        total = _observation(a, "total", {"coding": coding, "text": f"{a.instrument} total"}, value, imported)
        out.append(total)
    for name, number in (result.get("composites") or {}).items():
        code = {
            "coding": [{"system": KEEL_SCORES, "code": f"{a.instrument}-{name}"}],
            "text": f"{a.instrument} {name}",
        }
        out.append(_observation(a, name, code, {"valueInteger": number}, imported))
    if a.instrument == "cssrs-screen" and result.get("band"):
        code = {"coding": [{"system": LOINC, "code": CSSRS_RISK_LEVEL_LOINC}], "text": "Suicide risk level"}
        out.append(
            _observation(
                a, "risk", code, {"valueCodeableConcept": {"text": result["band"]["label"]}}, imported
            )
        )
    return out + _panel(a, total, imported)


def resources(a: Assessment, base: Base, *, imported: bool = False) -> list[dict[str, Any]]:
    """The QuestionnaireResponse first, then its Observations."""
    return [questionnaire_response(a, base, imported=imported), *observations(a, imported=imported)]
