"""Lane fix39 (review rev39d hole 1): every field the PHQ-9 QuestionnaireResponse import reads is read with
its FHIR JSON type checked (an array, an object, text, a number). Fuzzed: hypothesis puts a JSON value of the
wrong type in each of those fields, of the response alone and of a Bundle holding it with its Patient; the
answer is a 4xx naming the field (or the element holding it), never a 5xx, and nothing is filed.
Deterministic (the same cases every run); run on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from keel.assessments.models import Assessment
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc
from tests.fuzz import fuzz_settings

pytestmark = pytest.mark.django_db
MRN = "https://keel.invalid/fhir/record-number/riverside"
Path = tuple[str | int, ...]


@pytest.fixture(autouse=True)
def _clock() -> Any:
    yield from pinned_at_last_five_pm_utc()


def _patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p",
        "identifier": [{"system": MRN, "value": "RR-0001"}],
        "name": [{"family": "Zamorano", "given": ["Alicia"], "text": "Alicia Zamorano"}],
        "birthDate": "1990-05-17",
    }


def _response(reference: str) -> dict[str, Any]:
    """Alice's PHQ-9 with every part the import reads: items by linkId (one a LOINC answer, one with its
    `definition`), her record number and a reference to her Patient, the sender's keys and author."""
    items: list[dict[str, Any]] = [
        {"linkId": f"phq9_{i}", "answer": [{"valueInteger": 1}]} for i in range(1, 10)
    ]
    items[1] = {
        "linkId": "phq9_2",
        "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3"}}],
    }
    items[2]["definition"] = "http://loinc.org/44259-0"
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "qr-1",
        "meta": {"source": "urn:example:ehr#req-1"},
        "identifier": {"system": "urn:example:ehr", "value": "ehr-1"},
        "status": "completed",
        "questionnaire": "http://loinc.org/q/44249-1",
        "authored": "2026-01-20T09:30:00-05:00",
        "subject": {"reference": reference, "identifier": {"system": MRN, "value": "RR-0001"}},
        "author": {"display": "EHR"},
        "item": [{"linkId": "phq9", "item": items}],
    }


def _alone() -> dict[str, Any]:
    return {**_response("#p"), "contained": [_patient()]}


def _bundle() -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:p-1", "resource": _patient()},
            {"fullUrl": "urn:uuid:q-1", "resource": _response("urn:uuid:p-1")},
        ],
    }


RESPONSE: dict[Path, str] = {
    ("resourceType",): "text",
    ("id",): "text",
    ("meta",): "object",
    ("meta", "source"): "text",
    ("identifier",): "object",
    ("identifier", "system"): "text",
    ("identifier", "value"): "text",
    ("status",): "text",
    ("questionnaire",): "text",
    ("authored",): "text",
    ("subject",): "object",
    ("subject", "reference"): "text",
    ("subject", "identifier"): "object",
    ("subject", "identifier", "system"): "text",
    ("subject", "identifier", "value"): "text",
    ("author",): "object",
    ("item",): "list",
    ("item", 0): "object",
    ("item", 0, "linkId"): "text",
    ("item", 0, "item"): "list",
    ("item", 0, "item", 0): "object",
    ("item", 0, "item", 0, "linkId"): "text",
    ("item", 0, "item", 0, "answer"): "list",
    ("item", 0, "item", 0, "answer", 0): "object",
    ("item", 0, "item", 0, "answer", 0, "valueInteger"): "number",
    ("item", 0, "item", 1, "answer", 0, "valueCoding"): "object",
    ("item", 0, "item", 1, "answer", 0, "valueCoding", "system"): "text",
    ("item", 0, "item", 1, "answer", 0, "valueCoding", "code"): "text",
    ("item", 0, "item", 2, "definition"): "text",
}
PATIENT: dict[Path, str] = {
    ("resourceType",): "text",
    ("id",): "text",
    ("identifier",): "list",
    ("identifier", 0): "object",
    ("identifier", 0, "system"): "text",
    ("identifier", 0, "value"): "text",
    ("name",): "list",
    ("name", 0): "object",
    ("name", 0, "family"): "text",
    ("name", 0, "given"): "list",
    ("name", 0, "given", 0): "text",
    ("name", 0, "text"): "text",
    ("birthDate",): "text",
}
FIELDS: dict[str, tuple[Any, dict[Path, str]]] = {
    "response": (
        _alone,
        {**RESPONSE, ("contained",): "list", ("contained", 0): "object"}
        | {("contained", 0, *p): kind for p, kind in PATIENT.items()},
    ),
    "bundle": (
        _bundle,
        {("entry",): "list", ("entry", 0): "object", ("entry", 0, "fullUrl"): "text"}
        | {("entry", 0, "resource"): "object", ("entry", 1, "fullUrl"): "text"}
        | {("entry", 0, "resource", *p): kind for p, kind in PATIENT.items()}
        | {("entry", 1, "resource", *p): kind for p, kind in RESPONSE.items()},
    ),
}
CASES = [(shape, path) for shape, (_doc, fields) in FIELDS.items() for path in fields]

JSON = st.recursive(
    st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=4,
)
KIND = {
    "text": str,
    "list": list,
    "object": dict,
    "number": (int, float),
}


def _wrong(kind: str) -> Any:
    """A JSON value (never null) of another type than `kind` (a bool is no number)."""
    return JSON.filter(lambda v: isinstance(v, bool) or not isinstance(v, KIND[kind]))


def _put(doc: Any, path: Path, value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def _post(world: World, doc: Any) -> Any:
    client = sign_in(Client(raise_request_exception=False), world.staff["prescriber"])
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses",
        data=json.dumps(doc),
        content_type="application/fhir+json",
    )


@pytest.mark.parametrize("shape", list(FIELDS))
def test_the_documents_the_fuzz_starts_from_are_filed(world: World, shape: str) -> None:
    answer = _post(world, FIELDS[shape][0]())
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize(("shape", "path"), CASES, ids=[f"{s}:{'.'.join(map(str, p))}" for s, p in CASES])
def test_a_field_of_the_wrong_type_is_a_4xx_naming_it_and_files_nothing(
    world: World, shape: str, path: Path
) -> None:
    make, fields = FIELDS[shape]
    named = ".".join(map(str, path))

    @fuzz_settings(max_examples=3)
    @given(value=_wrong(fields[path]))
    def check(value: Any) -> None:
        doc = make()
        _put(doc, path, value)
        answer = _post(world, doc)
        assert 400 <= answer.status_code < 500, (named, value, answer.status_code)
        said = [e["field"] for e in answer.json()["errors"]]
        assert any(named == f or named.startswith(f"{f}.") for f in said), (named, value, said)
        assert not Assessment.objects.filter(patient=world.alice).exists(), (named, value)

    check()
