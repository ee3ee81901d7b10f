"""Journey 9, interoperability: a record leaves as a valid FHIR R4 Bundle (checked with fhir.resources' R4B
models, which agree with R4 on every resource used here); a PHQ-9 QuestionnaireResponse from another system
comes in, is scored, flags item 9, and a resend is filed once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.assessments.models import Assessment
from keel.assessments.services import submit_assessment
from keel.audit.models import AuditEvent
from keel.core.instruments.fhir_import import parse_questionnaire_response
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import PatientFlag
from keel.treatment.models import DoseRecord, MedicationOrder
from tests.conftest import PASSWORD, World, sign_in

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


def other_system_phq9(values: list[int], authored: str = "2026-11-20T09:30:00-05:00") -> dict[str, Any]:
    """A PHQ-9 as another system sends it: LOINC codes as linkIds under a group, LOINC answers."""
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "ext-123",
        "questionnaire": "http://loinc.org/q/44249-1",
        "status": "completed",
        "subject": {"reference": "Patient/somewhere-else-999"},
        "authored": authored,
        "item": [
            {
                "linkId": "/44249-1",
                "text": "PHQ-9 quick depression assessment panel",
                "item": [
                    {
                        "linkId": f"/44249-1/{code}",
                        "answer": [{"valueCoding": {"system": "http://loinc.org", "code": ANSWERS[v]}}],
                    }
                    for code, v in zip(LOINC_ITEMS, values, strict=True)
                ],
            }
        ],
    }


def _post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/fhir+json")


@pytest.fixture
def record(world: World) -> World:
    nurse, prescriber = world.staff["nurse"], world.staff["prescriber"]
    order = MedicationOrder.objects.create(
        patient=world.alice,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(60),
        starts_on=date(2026, 11, 20),
        prescriber=prescriber,
        created_at=NOW - timedelta(days=5),
    )
    for n in range(3):
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=date(2026, 11, 22 + n),
            sequence=1,
            status="given",
            amount_mg=Decimal(60),
            treatment_day=n + 1,
            decision={},
            recorded_by=nurse,
            recorded_at=NOW - timedelta(days=3 - n),
        )
    with time_machine.travel(NOW - timedelta(days=6), tick=False):
        submit_assessment(
            by=prescriber,
            patient_id=world.alice.pk,
            instrument="dsm5-oud",
            answers={f"dsm5_{i}": int(i <= 6) for i in range(1, 12)},
        )
        submit_assessment(
            by=nurse,
            patient_id=world.alice.pk,
            instrument="phq9",
            answers={f"phq9_{i}": 1 for i in range(1, 10)},
        )
    return world


@time_machine.travel(NOW, tick=False)
def test_the_record_leaves_as_a_valid_fhir_r4_bundle(record: World) -> None:
    from fhir.resources.R4B.bundle import Bundle

    client = sign_in(Client(), record.staff["prescriber"])
    wrong = _post(client, f"/api/v1/patients/{record.alice.pk}/fhir/export", {"password": "not it"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "password"
    denied = AuditEvent.objects.order_by("-id").first()
    assert denied is not None and denied.reason == "re-authentication failed"
    response = _post(client, f"/api/v1/patients/{record.alice.pk}/fhir/export", {"password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    bundle = Bundle.model_validate(body)  # every resource validated against its model
    kinds = [e.resource.get_resource_type() for e in bundle.entry or [] if e.resource is not None]
    assert kinds[:3] == ["Patient", "Organization", "EpisodeOfCare"]
    assert kinds.count("MedicationRequest") == 1 and kinds.count("MedicationAdministration") == 3
    assert kinds.count("QuestionnaireResponse") == 2 and "Condition" in kinds and "Observation" in kinds
    condition = next(e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Condition")
    assert condition["severity"] == {"text": "Severe"}
    assert {
        "code": "42CFRPart2",
        "display": "42 CFR Part 2",
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    } in body["meta"]["security"]
    patient = body["entry"][0]["resource"]
    assert patient["identifier"][0]["value"] == "RR-0001" and patient["birthDate"] == "1990-05-17"
    # Every reference points at a resource in the Bundle (or at the prescriber, who is not exported).
    ids = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]}
    refs = {v for v in _references(body) if not v.startswith("Practitioner/")}
    assert refs <= ids, refs - ids
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None and (event.action, event.target_type) == ("export", "fhir_bundle")


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


@time_machine.travel(NOW, tick=False)
def test_a_peer_specialist_exports_no_clinical_resource(record: World) -> None:
    peer = sign_in(Client(), record.staff["peer_specialist"])
    body = _post(peer, f"/api/v1/patients/{record.alice.pk}/fhir/export", {"password": PASSWORD}).json()
    assert [e["resource"]["resourceType"] for e in body["entry"]] == ["Patient", "Organization"]


@time_machine.travel(NOW, tick=False)
def test_the_patient_downloads_their_own_record(record: World) -> None:
    client = sign_in(Client(), record.alice.user)
    response = client.get("/me/record.fhir.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+json"
    assert 'filename="my-keel-record.fhir.json"' in response["Content-Disposition"]
    body = json.loads(response.content)
    assert body["resourceType"] == "Bundle" and body["entry"][0]["resource"]["id"] == str(record.alice.pk)
    assert "Download my record" in client.get("/me/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_phq9_from_another_system_comes_in_scored_and_flagged(world: World) -> None:
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    doc = other_system_phq9([1, 1, 2, 2, 1, 1, 0, 0, 1])
    QuestionnaireResponse.model_validate(doc)  # the test document itself is valid FHIR
    client = sign_in(Client(), world.staff["counselor"])
    response = _post(client, f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses", doc)
    assert response.status_code == 201, response.content
    assert response.json() | {"id": 0} == {
        "id": 0,
        "instrument": "phq9",
        "total": 9,
        "band": "mild",
        "created": True,
    }
    stored = Assessment.objects.get(pk=response.json()["id"])
    assert stored.patient_id == world.alice.pk  # the sender's subject is ignored
    assert stored.filled_at == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert stored.answers["phq9_9"] == 1 and stored.filled_by_id == world.staff["counselor"].pk
    assert PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").exists()  # item 9 above 0
    again = _post(client, f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses", doc)
    assert again.status_code == 200 and again.json()["id"] == stored.pk and again.json()["created"] is False
    assert Assessment.objects.filter(patient=world.alice, instrument="phq9").count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_bad_questionnaire_response_is_refused_by_path(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    path = f"/api/v1/patients/{world.alice.pk}/fhir/questionnaire-responses"
    doc = other_system_phq9([0] * 9)
    doc["item"][0]["item"][2]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    doc["item"][0]["item"][4]["linkId"] = "/44249-1/12345-6"
    doc["status"] = "in-progress"
    response = _post(client, path, doc)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"status", "item.0.item.2.answer.0.valueCoding.code", "item.0.item.4.linkId"}
    short = other_system_phq9([0] * 9)
    del short["item"][0]["item"][8]
    assert _post(client, path, short).json()["errors"] == [
        {"field": "item", "reason": "missing answers: phq9_9"}
    ]
    assert _post(client, path, other_system_phq9([0] * 9, authored="2027-01-01T00:00:00Z")).status_code == 422
    assert _post(client, path, ["not", "an", "object"]).json()["errors"][0]["field"] == "body"
    assert not Assessment.objects.exists()
    outsider = sign_in(Client(), world.lakeside_nurse)
    assert _post(outsider, path, other_system_phq9([0] * 9)).status_code == 404


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
    assert parsed.answers == {f"phq9_{i}": 0 for i in range(1, 10)} and parsed.authored.tzinfo is not None
