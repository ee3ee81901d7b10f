"""A completed instrument from another system, as a FHIR R4 QuestionnaireResponse, read into Keel's answers.

Items are matched by Keel's own linkIds (`phq9_1` ...) or by the LOINC codes other systems use as linkIds,
with or without a path (`44250-9`, `/44249-1/44250-9`); nested groups are read through. Answers are matched
by their code (the LOINC answer list LL358-3: LA6568-5 ... LA6571-9) [V, reference 16.1]. The LOINC item
codes are the instrument's own (`Item.loinc`, reference 16.1 [V] for PHQ-9 items 1-8), plus PHQ-9 item 9,
44260-8, which the reference left unverified and which the HL7 US Core STU7 example Observation
"PHQ9-item-example-44260-8" confirms ("Thoughts that you would be better off dead, or of hurting yourself in
some way"; source id `us-core-stu7`).

The sender's `subject` is never trusted: the patient comes from the caller's scope. Every problem is named by
its JSON path, so the sender can fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keel.core.instruments import registry
from keel.core.rules.inputs import FieldError, InvalidInput

EXTRA_LOINC = {"phq9": {"44260-8": "phq9_9"}}  # us-core-stu7
IMPORTABLE = ("phq9",)


@dataclass(frozen=True)
class ImportedResponse:
    instrument: str
    answers: dict[str, int]
    authored: datetime
    questionnaire: str
    source_id: str


def _items(raw: Any, path: str, out: list[tuple[str, Mapping[str, Any]]], errors: list[FieldError]) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        errors.append(FieldError(path, "must be a list"))
        return
    for n, item in enumerate(raw):
        here = f"{path}.{n}"
        if not isinstance(item, Mapping):
            errors.append(FieldError(here, "must be an object"))
            continue
        if item.get("answer"):
            out.append((here, item))
        _items(item.get("item"), f"{here}.item", out, errors)


def _link(link_id: Any, by_loinc: Mapping[str, str], known: set[str]) -> str | None:
    if not isinstance(link_id, str):
        return None
    tail = link_id.rsplit("/", 1)[-1].strip()
    if tail in known:
        return tail
    return by_loinc.get(tail)


def parse_questionnaire_response(doc: Any, *, instrument: str = "phq9", now: datetime) -> ImportedResponse:
    """The answers of a completed QuestionnaireResponse for `instrument`; InvalidInput names each problem."""
    if instrument not in IMPORTABLE:
        raise InvalidInput([FieldError("instrument", f"must be one of: {', '.join(IMPORTABLE)}")])
    errors: list[FieldError] = []
    if not isinstance(doc, Mapping):
        raise InvalidInput([FieldError("body", "must be a FHIR QuestionnaireResponse (a JSON object)")])
    if doc.get("resourceType") != "QuestionnaireResponse":
        errors.append(FieldError("resourceType", "must be QuestionnaireResponse"))
    if doc.get("status") not in ("completed", "amended"):
        errors.append(FieldError("status", "must be completed or amended"))
    authored = now
    raw_authored = doc.get("authored")
    try:
        if not isinstance(raw_authored, str):
            raise ValueError
        authored = datetime.fromisoformat(raw_authored.replace("Z", "+00:00"))
        if authored.tzinfo is None:
            errors.append(FieldError("authored", "needs a time zone (e.g. 2026-11-20T09:30:00-05:00)"))
        elif authored > now:
            errors.append(FieldError("authored", "cannot be in the future"))
    except ValueError:
        errors.append(FieldError("authored", "must be a date and time like 2026-11-20T09:30:00-05:00"))
    definition = registry.get(instrument)
    known = {i.link_id for i in definition.items}
    by_loinc = {i.loinc: i.link_id for i in definition.items if i.loinc} | EXTRA_LOINC.get(instrument, {})
    found: list[tuple[str, Mapping[str, Any]]] = []
    _items(doc.get("item"), "item", found, errors)
    answers: dict[str, int] = {}
    for path, item in found:
        link = _link(item.get("linkId"), by_loinc, known)
        if link is None:
            errors.append(FieldError(f"{path}.linkId", f"is not a {instrument.upper()} question"))
            continue
        options = {o.code: o.value for o in next(i for i in definition.items if i.link_id == link).options}
        answer = item["answer"]
        coding = (
            answer[0].get("valueCoding")
            if isinstance(answer, list) and answer and isinstance(answer[0], Mapping)
            else None
        )
        code = coding.get("code") if isinstance(coding, Mapping) else None
        if code not in options:
            errors.append(
                FieldError(f"{path}.answer.0.valueCoding.code", f"must be one of: {', '.join(options)}")
            )
            continue
        if link in answers:
            errors.append(FieldError(f"{path}.linkId", "answers a question already answered"))
            continue
        answers[link] = options[code]
    missing = [i.link_id for i in definition.items if i.required and i.link_id not in answers]
    if missing and not any(e.field.startswith("item") for e in errors):
        errors.append(FieldError("item", f"missing answers: {', '.join(missing)}"))
    if errors:
        raise InvalidInput(errors)
    questionnaire = doc.get("questionnaire")
    source_id = doc.get("id")
    return ImportedResponse(
        instrument,
        answers,
        authored,
        questionnaire if isinstance(questionnaire, str) else "",
        source_id if isinstance(source_id, str) else "",
    )
