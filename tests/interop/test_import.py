"""A safe record in (issue #16): a PHQ-9 QuestionnaireResponse from another system is filed only when it is
about this patient; realistic LOINC panels (item 10, the total, valueInteger, date-only `authored`) are
accepted; where it came from is kept as a Provenance and shown with the result."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.core.instruments.fhir_import import parse_questionnaire_response
from keel.core.rules.inputs import InvalidInput
from keel.interop.models import ImportedResponse
from keel.patients.models import PatientFlag
from tests.conftest import World, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
LOINC_ITEMS = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
ANSWERS = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
MRN = "https://keel.invalid/fhir/record-number/riverside"


def alice_patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "H-778812"}],
        "name": [{"family": "Zamorano", "given": ["Alicia", "M"]}],
        "birthDate": "1990-05-17",
    }


def other_system_phq9(
    values: list[int],
    *,
    authored: str = "2026-11-20T09:30:00-05:00",
    total: int | None = None,
    integers: bool = False,
) -> dict[str, Any]:
    """A PHQ-9 as another system sends it: the LOINC panel (items 1-9, item 10, the total) under a group, the
    patient contained."""
    items: list[dict[str, Any]] = []
    for code, v in zip(LOINC_ITEMS, values, strict=True):
        answer = (
            {"valueInteger": v}
            if integers
            else {"valueCoding": {"system": "http://loinc.org", "code": ANSWERS[v]}}
        )
        items.append({"linkId": f"/44249-1/{code}", "answer": [answer]})
    items.append(
        {
            "linkId": "/44249-1/69722-7",
            "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6573-5"}}],
        }
    )
    items.append(
        {"linkId": "/44249-1/44261-6", "answer": [{"valueInteger": sum(values) if total is None else total}]}
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "ext-123",
        "meta": {"source": "https://ehr.example.org/fhir"},
        "contained": [alice_patient()],
        "questionnaire": "http://loinc.org/q/44249-1",
        "status": "completed",
        "subject": {"reference": "#p1", "display": "Alicia Zamorano"},
        "author": {"reference": "Practitioner/dr-1", "display": "Dr. Rivera"},
        "authored": authored,
        "item": [{"linkId": "/44249-1", "text": "PHQ-9 quick depression assessment panel", "item": items}],
    }


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/fhir+json")


def _path(world: World) -> str:
    return f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses"


def _counselor(world: World) -> Client:
    return sign_in(Client(), world.staff["counselor"])


@time_machine.travel(NOW, tick=False)
def test_the_standard_loinc_panel_with_item_10_and_the_total_is_filed(world: World) -> None:
    doc = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1])
    assert_valid_r4(doc)  # the test document itself is valid FHIR R4
    response = _post(_counselor(world), _path(world), doc)
    assert response.status_code == 201, response.content
    assert (response.json()["total"], response.json()["band"]) == (9, "mild")


@time_machine.travel(NOW, tick=False)
def test_an_import_is_scored_and_item_9_raises_the_suicide_risk_flag(world: World) -> None:
    _post(_counselor(world), _path(world), other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1]))
    assert PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").exists()


@time_machine.travel(NOW, tick=False)
def test_item_10_is_kept_and_not_scored(world: World) -> None:
    _post(_counselor(world), _path(world), other_system_phq9([0] * 9))
    imported = ImportedResponse.objects.get()
    assert imported.extra_answers == {"phq9_difficulty": "LA6573-5"}
    assert imported.assessment.total == 0


@time_machine.travel(NOW, tick=False)
def test_a_total_that_disagrees_with_the_items_is_reported(world: World) -> None:
    response = _post(_counselor(world), _path(world), other_system_phq9([1] * 9, total=12))
    assert response.status_code == 201
    assert response.json()["total"] == 9
    notes = {n["field"]: n["reason"] for n in response.json()["notes"]}
    assert "the sender's total 12 disagrees" in notes["total"]


@time_machine.travel(NOW, tick=False)
def test_integer_answers_are_accepted(world: World) -> None:
    response = _post(
        _counselor(world), _path(world), other_system_phq9([3, 3, 0, 0, 0, 0, 0, 0, 0], integers=True)
    )
    assert response.status_code == 201
    assert response.json()["total"] == 6


@time_machine.travel(NOW, tick=False)
def test_a_date_only_authored_is_accepted_and_kept_as_a_date(world: World) -> None:
    response = _post(_counselor(world), _path(world), other_system_phq9([0] * 9, authored="2026-11-20"))
    assert response.status_code == 201, response.content
    assert ImportedResponse.objects.get().authored == "2026-11-20"
    assert Assessment.objects.get().filled_at.astimezone(UTC).date() == datetime(2026, 11, 20).date()


@time_machine.travel(NOW, tick=False)
def test_two_answers_to_one_question_are_refused(world: World) -> None:
    doc = other_system_phq9([0] * 9)
    doc["item"][0]["item"][3]["answer"].append(
        {"valueCoding": {"system": "http://loinc.org", "code": "LA6571-9"}}
    )
    response = _post(_counselor(world), _path(world), doc)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "item.0.item.3.answer", "reason": "has 2 answers; this question takes one"}
    ]
    assert not Assessment.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_response_about_someone_else_is_refused_and_says_so(world: World) -> None:
    doc = other_system_phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])
    doc["contained"][0]["name"] = [{"family": "Vandersloot", "given": ["Charlotte"]}]
    doc["contained"][0]["birthDate"] = "1971-02-03"
    response = _post(_counselor(world), _path(world), doc)
    assert response.status_code == 422
    assert "not about this patient" in response.json()["message"]
    assert response.json()["errors"][0]["field"] == "subject"


@time_machine.travel(NOW, tick=False)
def test_a_response_about_someone_else_files_nothing_and_raises_no_flag(world: World) -> None:
    doc = other_system_phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])
    doc["contained"][0]["birthDate"] = "1971-02-03"
    _post(_counselor(world), _path(world), doc)
    assert not Assessment.objects.exists()
    assert not PatientFlag.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_record_number_of_another_patient_is_refused(world: World) -> None:
    doc = other_system_phq9([0] * 9)
    doc["subject"] = {"identifier": {"system": MRN, "value": "RR-0002"}}
    doc.pop("contained")
    response = _post(_counselor(world), _path(world), doc)
    assert response.status_code == 422
    assert "record number" in response.json()["errors"][0]["reason"]


@time_machine.travel(NOW, tick=False)
def test_this_patients_record_number_is_enough(world: World) -> None:
    doc = other_system_phq9([0] * 9)
    doc["subject"] = {"identifier": {"system": MRN, "value": "RR-0001"}}
    doc.pop("contained")
    response = _post(_counselor(world), _path(world), doc)
    assert response.status_code == 201, response.content


@time_machine.travel(NOW, tick=False)
def test_a_subject_keel_cannot_check_is_refused(world: World) -> None:
    doc = other_system_phq9([0] * 9)
    doc["subject"] = {"reference": "Patient/somewhere-else-999"}
    doc.pop("contained")
    response = _post(_counselor(world), _path(world), doc)
    assert response.status_code == 422
    assert "cannot be checked" in response.json()["errors"][0]["reason"]


@time_machine.travel(NOW, tick=False)
def test_a_bundle_holding_the_response_and_its_patient_is_accepted(world: World) -> None:
    qr = other_system_phq9([0] * 9)
    qr.pop("contained")
    qr["subject"] = {"reference": "urn:uuid:7f0a"}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:7f0a", "resource": alice_patient()},
            {"fullUrl": "urn:uuid:1", "resource": qr},
        ],
    }
    response = _post(_counselor(world), _path(world), bundle)
    assert response.status_code == 201, response.content


@time_machine.travel(NOW, tick=False)
def test_the_provenance_is_kept_and_shown_with_the_result(world: World) -> None:
    response = _post(_counselor(world), _path(world), other_system_phq9([0] * 9))
    provenance = response.json()["provenance"]
    assert_valid_r4(provenance)
    assert provenance["entity"][0]["what"]["identifier"] == {
        "value": "ext-123",
        "system": "https://ehr.example.org/fhir",
    }
    assert provenance["agent"][0]["who"]["display"] == "Dr. Rivera | Practitioner/dr-1"
    assert "Alicia Zamorano" in provenance["entity"][0]["what"]["display"]


@time_machine.travel(NOW, tick=False)
def test_an_imported_response_leaves_with_its_provenance(world: World) -> None:
    _post(_counselor(world), _path(world), other_system_phq9([0] * 9))
    client = sign_in(Client(), world.staff["prescriber"])
    from tests.conftest import PASSWORD

    body = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/fhir/export",
        {"password": PASSWORD, "basis": "patient_request"},
    ).json()
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    assert "Provenance" in kinds
    assert_valid_r4(body)


@time_machine.travel(NOW, tick=False)
def test_a_resend_is_filed_once(world: World) -> None:
    client = _counselor(world)
    doc = other_system_phq9([1] * 9)
    first = _post(client, _path(world), doc)
    again = _post(client, _path(world), doc)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Assessment.objects.filter(patient=world.alice).count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_bad_questionnaire_response_is_refused_by_path(world: World) -> None:
    doc = other_system_phq9([0] * 9)
    doc["item"][0]["item"][2]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    doc["item"][0]["item"][4]["linkId"] = "/44249-1/12345-6"
    doc["status"] = "in-progress"
    response = _post(_counselor(world), _path(world), doc)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"status", "item.0.item.2.answer.0.valueCoding.code", "item.0.item.4.linkId"}


@time_machine.travel(NOW, tick=False)
def test_a_missing_item_9_is_named(world: World) -> None:
    short = other_system_phq9([0] * 9)
    del short["item"][0]["item"][8]
    assert _post(_counselor(world), _path(world), short).json()["errors"] == [
        {"field": "item", "reason": "missing answers: phq9_9"}
    ]


@time_machine.travel(NOW, tick=False)
def test_a_future_date_and_a_non_object_are_refused(world: World) -> None:
    client = _counselor(world)
    assert _post(client, _path(world), other_system_phq9([0] * 9, authored="2027-01-01")).status_code == 422
    assert _post(client, _path(world), ["not", "an", "object"]).json()["errors"][0]["field"] == "body"


@time_machine.travel(NOW, tick=False)
def test_an_outsider_gets_a_404(world: World) -> None:
    outsider = sign_in(Client(), world.lakeside_nurse)
    assert _post(outsider, _path(world), other_system_phq9([0] * 9)).status_code == 404


def test_keel_linkids_and_naive_times() -> None:
    doc = {
        "resourceType": "QuestionnaireResponse",
        "status": "amended",
        "authored": "2026-11-20T09:30:00",
        "item": [
            {"linkId": f"phq9_{i}", "answer": [{"valueCoding": {"code": "LA6568-5"}}]} for i in range(1, 10)
        ],
    }
    with pytest.raises(InvalidInput) as info:
        parse_questionnaire_response(doc, now=NOW)
    assert [e.field for e in info.value.errors] == ["authored"]
    doc["authored"] = "2026-11-20T14:30:00Z"
    parsed = parse_questionnaire_response(doc, now=NOW)
    assert parsed.answers == {f"phq9_{i}": 0 for i in range(1, 10)}
    assert parsed.authored is not None


@time_machine.travel(NOW, tick=False)
def test_the_result_page_shows_where_an_imported_result_came_from(world: World) -> None:
    client = _counselor(world)
    created = _post(client, _path(world), other_system_phq9([1] * 9, total=12)).json()
    page = client.get(f"/patients/{world.alice.pk}/assessments/{created['id']}/").content.decode()
    assert "Where this result came from" in page
    assert "https://ehr.example.org/fhir" in page
    assert "The other system&#x27;s total was 12; the answers add up to 9" in page
