"""Load instrument definitions (FHIR R4 Questionnaire JSON shipped in this package) once, and cache them."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from keel.core.digits import ascii_digits
from keel.core.instruments.model import Condition, Instrument, Item, Option

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
_EXT = "https://keel.invalid/fhir/"


class UnknownInstrument(KeyError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown instrument {self.code!r}; known: {', '.join(codes())}"


def codes() -> tuple[str, ...]:
    folder = resources.files("keel.core.instruments") / "definitions"
    return tuple(sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")))


def _translated(owner: dict[str, Any], field: str, lang: str) -> str:
    """`owner[field]` in `lang` from FHIR's translation extension on `_field`; English when absent."""
    for ext in owner.get(f"_{field}", {}).get("extension", []):
        if ext.get("url") != TRANSLATION:
            continue
        parts = {e["url"]: e.get("valueCode") or e.get("valueString") for e in ext.get("extension", [])}
        if parts.get("lang") == lang and parts.get("content"):
            return str(parts["content"])
    return str(owner[field])


def _option(raw: dict[str, Any], lang: str = "en") -> Option:
    ordinal = next(e["valueDecimal"] for e in raw["extension"] if e["url"] == ORDINAL)
    if int(ordinal) != ordinal:
        raise ValueError(f"ordinal values must be whole numbers, got {ordinal}")
    coding = raw["valueCoding"]
    return Option(value=int(ordinal), code=coding["code"], display=_translated(coding, "display", lang))


def _loinc(raw: dict[str, Any]) -> str | None:
    return next((c["code"] for c in raw.get("code", []) if c.get("system") == "http://loinc.org"), None)


def _ext(doc: dict[str, Any], name: str) -> list[str]:
    return [e["valueString"] for e in doc.get("extension", []) if e["url"] == _EXT + name]


def not_scored(raw: dict[str, Any]) -> bool:
    """An item the Questionnaire carries for exchange but Keel neither asks nor scores (PHQ-9 item 10, "how
    difficult", `loinc-44249-1`): an answer from another system is kept and sent back, never summed."""
    return any(
        e.get("url") == _EXT + "not-scored" and e.get("valueBoolean") is True
        for e in raw.get("extension", [])
    )


def parse(doc: dict[str, Any], lang: str = "en") -> Instrument:
    """Turn a Questionnaire document into an Instrument, with texts in `lang` where translated. Items marked
    `not-scored` are left out: the Instrument is what Keel asks and scores."""
    scored = [raw for raw in doc["item"] if not not_scored(raw)]
    values = {
        raw["linkId"]: {o["valueCoding"]["code"]: _option(o).value for o in raw["answerOption"]}
        for raw in scored
    }
    items = tuple(
        Item(
            link_id=raw["linkId"],
            text=_translated(raw, "text", lang),
            options=tuple(_option(o, lang) for o in raw["answerOption"]),
            required=bool(raw.get("required", True)),
            loinc=_loinc(raw),
            enable_when=tuple(
                Condition(c["question"], values[c["question"]][c["answerCoding"]["code"]])
                for c in raw.get("enableWhen", [])
                if c["operator"] == "="
            ),
        )
        for raw in scored
    )
    total = _ext(doc, "loinc-total")
    return Instrument(
        code=doc["id"],
        version=doc["version"],
        title=_translated(doc, "title", lang),
        items=items,
        licence=(_ext(doc, "licence") or [""])[0],
        loinc_total=total[0] if total else None,
    )


@cache
def questionnaire(code: str) -> dict[str, Any]:
    """The definition as FHIR Questionnaire JSON (what GET /api/v1/instruments/{code} returns)."""
    if code not in codes():
        raise UnknownInstrument(code)
    path = resources.files("keel.core.instruments") / "definitions" / f"{code}.json"
    definition: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return definition


@cache
def get(code: str, lang: str = "en") -> Instrument:
    """The instrument, with its texts in `lang` where the definition carries a translation (else English).
    Values, codes and rules never depend on the language."""
    return parse(questionnaire(code), lang)


def versions(code: str) -> tuple[str, ...]:
    """Every version of an instrument Keel has filed answers under: the current one first, then the earlier
    ones its definition lists (`earlier-version`), each still served as a Questionnaire so that a response
    filed under it keeps a canonical that resolves."""
    doc = questionnaire(code)
    return (str(doc["version"]), *_ext(doc, "earlier-version"))


def _added_in(raw: dict[str, Any]) -> str | None:
    added = [e for e in raw.get("extension", []) if e.get("url") == _EXT + "added-in-version"]
    return str(added[0]["valueString"]) if added else None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if ascii_digits(p))


@cache
def questionnaire_at(code: str, version: str) -> dict[str, Any]:
    """The definition as it was at `version` (one of `versions(code)`): the current one without the items
    added after it. KeyError for a version Keel never had."""
    doc = questionnaire(code)
    if version == doc["version"]:
        return doc
    if version not in versions(code):
        raise KeyError(version)
    old = copy.deepcopy(doc)
    old["version"] = version
    old["status"] = "retired"
    old["extension"] = [e for e in old.get("extension", []) if e["url"] != _EXT + "earlier-version"]
    old["item"] = [
        raw
        for raw in old["item"]
        if (added := _added_in(raw)) is None or _version_key(added) <= _version_key(version)
    ]
    return old
