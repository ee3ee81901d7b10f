"""Lane fixfhir39b (re-attack re39f): the import's reader refuses, by path, what it cannot read safely, at
every element it walks, not only where re39f's tests looked: a modifier (`modifierExtension`, a resource's
`implicitRules`) on the Bundle, its entries and their resources, and contained resources; an answer with two
value[x] (a primitive's `_valueX` extension is not a value); a Bundle's two entries that are one resource
(`Type/id`); a bare NaN in any text field. The reader alone (keel.core), no database."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from keel.core.instruments.fhir_import import parse_questionnaire_response
from keel.core.rules.inputs import InvalidInput, loads_json
from tests.interop.test_import import NOW, alice_patient, other_system_phq9

Doc = dict[str, Any]


def _bundle() -> Doc:
    qr = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1])
    qr.pop("contained")
    qr["subject"] = {"reference": "Patient/p1"}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": alice_patient()},
            {"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000002", "resource": qr},
        ],
    }


def _refused(doc: Any) -> set[str]:
    with pytest.raises(InvalidInput) as info:
        parse_questionnaire_response(doc, now=NOW)
    return {e.field for e in info.value.errors}


MODIFIER = [{"url": "http://ehr.example.org/fhir/StructureDefinition/negated", "valueBoolean": True}]


def _on_contained(doc: Doc) -> str:
    doc["contained"][0]["modifierExtension"] = MODIFIER
    return "contained.0.modifierExtension"


def _on_bundle(doc: Doc) -> str:
    doc.update(_bundle())
    doc["implicitRules"] = "http://ehr.example.org/rules"
    return "implicitRules"


def _on_entry(doc: Doc) -> str:
    doc.update(_bundle())
    doc["entry"][0]["modifierExtension"] = MODIFIER
    return "entry.0.modifierExtension"


def _on_bundled_patient(doc: Doc) -> str:
    doc.update(_bundle())
    doc["entry"][0]["resource"]["implicitRules"] = "http://ehr.example.org/rules"
    return "entry.0.resource.implicitRules"


def _on_bundled_response(doc: Doc) -> str:
    doc.update(_bundle())
    doc["entry"][1]["resource"]["item"][0]["modifierExtension"] = MODIFIER
    return "entry.1.resource.item.0.modifierExtension"


@pytest.mark.parametrize(
    "where", [_on_contained, _on_bundle, _on_entry, _on_bundled_patient, _on_bundled_response]
)
def test_a_modifier_anywhere_the_reader_walks_is_refused_by_its_path(where: Callable[[Doc], str]) -> None:
    doc = other_system_phq9([0] * 9)
    path = where(doc)
    assert path in _refused(doc)


def test_the_controls_are_read() -> None:
    assert parse_questionnaire_response(_bundle(), now=NOW).answers["phq9_3"] == 2
    doc = other_system_phq9([0] * 9, integers=True)
    answer = doc["item"][0]["item"][8]["answer"][0]
    answer["_valueInteger"] = {"extension": [{"url": "urn:x", "valueString": "y"}]}  # not a second value
    answer["valueDecimal"] = None  # absent
    assert parse_questionnaire_response(doc, now=NOW).answers["phq9_9"] == 0


def test_a_coding_beside_a_quantity_is_two_values() -> None:
    doc = other_system_phq9([0] * 9)
    doc["item"][0]["item"][8]["answer"][0]["valueQuantity"] = {"value": 3}
    assert "item.0.item.8.answer.0" in _refused(doc)


def test_two_bundle_entries_that_are_one_resource_are_refused() -> None:
    doc = _bundle()
    bob = {**alice_patient(), "name": [{"family": "Okafor", "given": ["Robert"]}]}
    doc["entry"].insert(0, {"fullUrl": "https://other.example.org/fhir/Patient/p1", "resource": bob})
    assert "entry.1.resource.id" in _refused(doc)


@pytest.mark.parametrize("field", ["linkId", "definition"])
def test_a_bare_nan_is_not_text_in_any_field(field: str) -> None:
    doc = other_system_phq9([0] * 9)
    doc["item"][0]["item"][0][field] = "@NAN@"
    text = json.dumps(doc).replace('"@NAN@"', "NaN")
    assert f"item.0.item.0.{field}" in _refused(loads_json(text))
