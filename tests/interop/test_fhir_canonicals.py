"""Issue #16, what an integration engineer found after the first pass: PHQ-9 item 10 leaves as it came
in; every canonical Keel emits resolves on Keel's own server (older instrument versions included); deep
paging is capped and done at the database; `identifier=|value` means "no system"; dose quantities are UCUM;
an import reads LOINC codes from `item.definition`. Every FHIR output here is checked by the independent R4
validators."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from keel.core.instruments import registry
from keel.interop import rest
from keel.interop.rest import searches
from keel.treatment.models import MedicationOrder
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4
from tests.interop.test_import import other_system_phq9

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
R4 = "/fhir/R4"
LOINC = "http://loinc.org"
ITEM_10 = "69722-7"


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/fhir+json")


def _import(world: World, doc: dict[str, Any]) -> Any:
    client = sign_in(Client(), world.staff["counselor"])
    return _post(client, f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses", doc)


def _export(world: World) -> dict[str, Any]:
    client = sign_in(Client(), world.staff["prescriber"])
    response = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        {"password": PASSWORD, "basis": "patient_request"},
    )
    assert response.status_code == 200, response.content[:300]
    body: dict[str, Any] = response.json()
    assert_valid_r4(body)
    return body


def _of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


def _earlier_phq9(world: World) -> Assessment:
    """A PHQ-9 filed when the instrument had an earlier version than today's."""
    earlier = [v for v in registry.versions("phq9") if v != registry.get("phq9").version]
    assert earlier, "Keel lists the PHQ-9 versions it filed answers under"
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        a, _ = submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="phq9",
            answers={f"phq9_{i}": 1 for i in range(1, 10)},
        )
    Assessment.objects.filter(pk=a.pk).update(instrument_version=earlier[0])
    a.refresh_from_db()
    return a


def _response_of(world: World, a: Assessment) -> dict[str, Any]:
    return next(r for r in _of(_export(world), "QuestionnaireResponse") if r["id"] == f"assessment-{a.pk}")


# --- 1. PHQ-9 item 10 ------------------------------------------------------------------------------------


def test_the_phq9_questionnaire_has_item_10_optional_with_its_loinc_answers() -> None:
    item = next(
        i
        for i in registry.questionnaire("phq9")["item"]
        if any(c["code"] == ITEM_10 for c in i.get("code", []))
    )
    assert item["required"] is False
    assert [o["valueCoding"]["code"] for o in item["answerOption"]] == [
        "LA6572-7",
        "LA6573-5",
        "LA6575-0",
        "LA6574-3",
    ]
    assert all(o["valueCoding"]["system"] == LOINC for o in item["answerOption"])


def test_item_10_is_not_an_item_keel_scores() -> None:
    assert all(i.loinc != ITEM_10 for i in registry.get("phq9").items)


def test_the_served_phq9_questionnaire_with_item_10_is_valid_r4() -> None:
    response = Client().get(f"{R4}/Questionnaire/phq9")
    assert response.status_code == 200
    assert_valid_r4(response.json())
    assert any(i["linkId"] == "phq9_10" for i in response.json()["item"])


@time_machine.travel(NOW, tick=False)
def test_an_imported_item_10_leaves_in_the_questionnaire_response(world: World) -> None:
    assert _import(world, other_system_phq9([0] * 9)).status_code == 201
    response = next(r for r in _of(_export(world), "QuestionnaireResponse") if "phq9" in r["questionnaire"])
    item = next(i for i in response["item"] if i["linkId"] == "phq9_10")
    assert item["answer"] == [
        {"valueCoding": {"system": LOINC, "code": "LA6573-5", "display": "Somewhat difficult"}}
    ]


@time_machine.travel(NOW, tick=False)
def test_the_exported_item_10_is_an_item_of_the_questionnaire_the_response_names(world: World) -> None:
    _import(world, other_system_phq9([0] * 9))
    body = _export(world)
    response = next(r for r in _of(body, "QuestionnaireResponse") if "phq9" in r["questionnaire"])
    named = next(
        q for q in _of(body, "Questionnaire") if f"{q['url']}|{q['version']}" == response["questionnaire"]
    )
    assert "phq9_10" in {i["linkId"] for i in named["item"]}


@time_machine.travel(NOW, tick=False)
def test_item_10_never_changes_the_score(world: World) -> None:
    response = _import(world, other_system_phq9([2] * 9))
    assert response.json()["total"] == 18


@time_machine.travel(NOW, tick=False)
def test_a_response_without_item_10_exports_no_item_10(world: World) -> None:
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="phq9",
            answers={f"phq9_{i}": 1 for i in range(1, 10)},
        )
    response = _of(_export(world), "QuestionnaireResponse")[0]
    assert [i["linkId"] for i in response["item"]] == [f"phq9_{i}" for i in range(1, 10)]


@time_machine.travel(NOW, tick=False)
def test_keels_own_export_of_item_10_imports_again(world: World) -> None:
    """A round trip: Keel's linkId `phq9_10` is read as item 10, not refused as an unknown question."""
    doc = other_system_phq9([0] * 9)
    group = doc["item"][0]["item"]
    group[9]["linkId"] = "phq9_10"
    response = _import(world, doc)
    assert response.status_code == 201, response.content


# --- 2. Every canonical Keel emits resolves on Keel's server ---------------------------------------------


def _canonicals(node: Any) -> list[str]:
    """Every canonical of Keel's own server in a document (a response's `questionnaire` and the like)."""
    if isinstance(node, dict):
        found = [
            v
            for k, v in node.items()
            if k in ("questionnaire", "instantiatesCanonical", "definition")
            and isinstance(v, str)
            and v.startswith("http://testserver/fhir/R4/")
        ]
        return found + [c for v in node.values() for c in _canonicals(v)]
    if isinstance(node, list):
        return [c for v in node for c in _canonicals(v)]
    return []


def _resolve(canonical: str) -> list[dict[str, Any]]:
    """The Questionnaires Keel's server answers for a canonical, as another system resolves it."""
    url, _, version = canonical.partition("|")
    path = url.removeprefix("http://testserver")
    if not version:
        response = Client().get(path)
        assert response.status_code == 200, canonical
        assert_valid_r4(response.json())
        return [response.json()]
    response = Client().get(f"{R4}/Questionnaire?url={quote(canonical, safe='')}")
    assert response.status_code == 200, canonical
    assert_valid_r4(response.json())
    return [e["resource"] for e in response.json().get("entry", [])]


@time_machine.travel(NOW, tick=False)
def test_every_exported_canonical_resolves_on_keels_server(world: World) -> None:
    _earlier_phq9(world)
    _import(world, other_system_phq9([1] * 9))
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        submit_assessment(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            instrument="gad7",
            answers={f"gad7_{i}": 1 for i in range(1, 8)},
        )
    canonicals = set(_canonicals(_export(world)))
    assert len(canonicals) >= 3  # the earlier PHQ-9, today's PHQ-9, the GAD-7
    for canonical in canonicals:
        found = _resolve(canonical)
        url, _, version = canonical.partition("|")
        assert [(q["url"], q["version"]) for q in found if q["version"] == version or not version] != []
        assert all(q["url"] == url for q in found), canonical


@time_machine.travel(NOW, tick=False)
def test_a_response_filed_under_an_earlier_version_names_that_version(world: World) -> None:
    a = _earlier_phq9(world)
    response = _response_of(world, a)
    assert response["questionnaire"].endswith(f"Questionnaire/phq9|{a.instrument_version}")


@time_machine.travel(NOW, tick=False)
def test_an_earlier_version_is_found_by_url_pipe_version(world: World) -> None:
    a = _earlier_phq9(world)
    response = _response_of(world, a)
    found = _resolve(response["questionnaire"])
    assert [q["version"] for q in found] == [a.instrument_version]


@time_machine.travel(NOW, tick=False)
def test_an_earlier_version_is_found_by_url_and_version(world: World) -> None:
    a = _earlier_phq9(world)
    url = "http://testserver/fhir/R4/Questionnaire/phq9"
    response = Client().get(f"{R4}/Questionnaire?url={quote(url, safe='')}&version={a.instrument_version}")
    assert_valid_r4(response.json())
    assert [e["resource"]["version"] for e in response.json()["entry"]] == [a.instrument_version]


def test_an_earlier_version_has_no_item_added_after_it() -> None:
    earlier = [v for v in registry.versions("phq9") if v != registry.get("phq9").version]
    response = Client().get(
        f"{R4}/Questionnaire?url={quote('http://testserver/fhir/R4/Questionnaire/phq9')}|{earlier[0]}"
    )
    old = response.json()["entry"][0]["resource"]
    assert "phq9_10" not in {i["linkId"] for i in old["item"]}


def test_an_earlier_version_is_read_by_its_id() -> None:
    earlier = [v for v in registry.versions("phq9") if v != registry.get("phq9").version]
    response = Client().get(f"{R4}/Questionnaire/phq9-v{earlier[0]}")
    assert response.status_code == 200
    assert_valid_r4(response.json())
    assert (response.json()["version"], response.json()["url"]) == (
        earlier[0],
        "http://testserver/fhir/R4/Questionnaire/phq9",
    )


@time_machine.travel(NOW, tick=False)
def test_the_bundle_holds_the_earlier_version_its_response_names(world: World) -> None:
    a = _earlier_phq9(world)
    body = _export(world)
    response = next(r for r in _of(body, "QuestionnaireResponse") if r["id"] == f"assessment-{a.pk}")
    held = {f"{q['url']}|{q['version']}" for q in _of(body, "Questionnaire")}
    assert response["questionnaire"] in held


@time_machine.travel(NOW, tick=False)
def test_a_version_keel_never_served_points_at_the_canonical_alone(world: World) -> None:
    a = _earlier_phq9(world)
    Assessment.objects.filter(pk=a.pk).update(instrument_version="0.9-never")
    response = _response_of(world, a)
    assert response["questionnaire"] == "http://testserver/fhir/R4/Questionnaire/phq9"


# --- 3. Paging is capped and done at the database ----------------------------------------------------------


@pytest.mark.parametrize("name", ["_offset", "_count"])
def test_paging_beyond_the_limit_is_a_400_naming_the_parameter(world: World, name: str) -> None:
    too_far = {"_offset": rest.MAX_OFFSET + 1, "_count": rest.MAX_COUNT + 1}[name]
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get(f"{R4}/MedicationRequest?{name}={too_far}")
    assert response.status_code == 400
    assert_valid_r4(response.json())
    assert response.json()["issue"][0]["expression"] == [name]


def test_the_largest_offset_allowed_is_answered(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get(f"{R4}/MedicationRequest?_offset={rest.MAX_OFFSET}")
    assert response.status_code == 200
    assert "entry" not in response.json()  # nothing on the page: no empty array (review 22f)
    assert_valid_r4(response.json())


def test_the_offset_limit_has_its_source() -> None:
    from keel.core.sources import SOURCES

    assert rest.PAGING_SOURCE in SOURCES


def _orders(world: World, n: int) -> None:
    from keel.patients.models import Patient

    patients = [world.alice, world.bob]
    for k in range(n):
        MedicationOrder.objects.create(
            patient=patients[k % 2] if k < 2 else _extra_patient(world, k, Patient),
            medication="buprenorphine",
            rxnorm="1010600",
            dose_mg=Decimal(8),
            starts_on=date(2026, 11, 20),
            prescriber=world.staff["prescriber"],
            created_at=NOW - timedelta(days=1),
        )


def _extra_patient(world: World, k: int, model: Any) -> Any:
    from keel.patients.models import CareTeamMember

    p = model.objects.create(
        program=world.riverside,
        record_number=f"X-{k}",
        given_name=f"Given{k}",
        family_name=f"Family{k}",
        date_of_birth=date(1990, 1, 1),
    )
    CareTeamMember.objects.create(patient=p, user=world.staff["prescriber"])
    return p


@time_machine.travel(NOW, tick=False)
def test_a_deep_page_without_a_patient_builds_only_the_records_it_returns(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _orders(world, 12)
    client = sign_in(Client(), world.staff["prescriber"])
    built: list[int] = []

    class Counting(searches.Record):  # each record built (`Record.read_by` builds through `cls`: lane fix38j)
        def __init__(self, patient: Any, *args: Any, **kwargs: Any) -> None:
            built.append(patient.pk)
            super().__init__(patient, *args, **kwargs)

    monkeypatch.setattr(searches, "Record", Counting)
    response = client.get(f"{R4}/MedicationRequest?_count=2&_offset=8")
    assert response.status_code == 200, response.content[:300]
    assert_valid_r4(response.json())
    assert len(response.json()["entry"]) == 2
    assert len(built) <= 3  # the page's records and the one that shows there is more


@time_machine.travel(NOW, tick=False)
def test_paging_at_the_database_returns_every_order_once(world: World) -> None:
    _orders(world, 12)
    client = sign_in(Client(), world.staff["prescriber"])
    everything = client.get(f"{R4}/MedicationRequest?_count=200").json()
    ids = [e["resource"]["id"] for e in everything["entry"]]
    paged = []
    for offset in range(0, len(ids) + 3, 3):
        page = client.get(f"{R4}/MedicationRequest?_count=3&_offset={offset}").json()
        paged += [e["resource"]["id"] for e in page.get("entry", [])]
    assert paged == ids


@time_machine.travel(NOW, tick=False)
def test_a_patient_search_pages_at_the_database_too(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    every = [e["resource"]["id"] for e in client.get(f"{R4}/Patient?_count=200").json()["entry"]]
    second = client.get(f"{R4}/Patient?_count=1&_offset=1").json()
    assert [e["resource"]["id"] for e in second.get("entry", [])] == every[1:2]


# --- 4. identifier=|value means "no system" ----------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_identifier_with_an_empty_system_matches_no_record_number(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    number = world.alice.record_number
    response = client.get(f"{R4}/Patient?identifier={quote('|' + number)}")
    assert response.status_code == 200
    assert_valid_r4(response.json())
    assert response.json().get("entry", []) == []


@time_machine.travel(NOW, tick=False)
def test_identifier_without_a_bar_still_matches_the_record_number(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get(f"{R4}/Patient?identifier={quote(world.alice.record_number)}")
    assert [e["resource"]["id"] for e in response.json()["entry"]] == [str(world.alice.pk)]


# --- 5. Dose quantities are UCUM ----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_medication_request_dose_is_a_ucum_quantity(world: World) -> None:
    _orders(world, 1)
    request = _of(_export(world), "MedicationRequest")[0]
    dose = request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert (dose["system"], dose["code"], dose["unit"]) == ("http://unitsofmeasure.org", "mg", "mg")


# --- 6. An import reads LOINC codes from item.definition ----------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_an_import_reads_loinc_codes_from_item_definition(world: World) -> None:
    doc = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 0])
    for n, item in enumerate(doc["item"][0]["item"]):
        code = item["linkId"].rsplit("/", 1)[-1]
        item["linkId"], item["definition"] = f"q{n + 1}", f"http://loinc.org/{code}"
    assert_valid_r4(doc)
    response = _import(world, doc)
    assert response.status_code == 201, response.content
    assert response.json()["total"] == 8


@time_machine.travel(NOW, tick=False)
def test_a_definition_outside_loinc_names_no_question(world: World) -> None:
    doc = other_system_phq9([1] * 9)
    first = doc["item"][0]["item"][0]
    first["linkId"], first["definition"] = "q1", "http://example.org/44250-9"
    response = _import(world, doc)
    assert response.status_code == 422
    assert "item.0.item.0.linkId" in json.dumps(response.json())
