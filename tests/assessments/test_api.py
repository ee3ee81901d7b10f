"""Instrument API: catalog, stateless scoring, stored assessments, validation (422 naming every field, no row
written), the suicide-risk flag, and FHIR export validated by two independent R4 validators
(tests/fhir_r4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keel.assessments.models import Assessment
from keel.audit.models import AuditEvent
from keel.core.instruments import registry
from keel.patients.models import PatientFlag
from tests.conftest import World, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db

PHQ9_ZERO = {f"phq9_{i}": 0 for i in range(1, 10)}
COWS = {
    "pulse": 2,
    "sweating": 1,
    "restlessness": 1,
    "pupils": 1,
    "aches": 1,
    "nose_eyes": 1,
    "gi_upset": 2,
    "tremor": 1,
    "yawning": 1,
    "anxiety": 1,
    "gooseflesh": 0,
}


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_catalog_lists_all_eight_instruments() -> None:
    data = Client().get("/api/v1/instruments").json()
    assert {i["code"] for i in data} == {
        "bam",
        "cows",
        "cssrs-screen",
        "dsm5-oud",
        "gad7",
        "ort",
        "phq9",
        "sows",
    }
    ort = next(i for i in data if i["code"] == "ort")
    assert ort["extras"][0]["name"] == "sex"
    assert ort["extras"][0]["required"]
    assert not ort["self_report"]


def test_an_instrument_is_served_as_a_valid_fhir_questionnaire() -> None:
    for code in registry.codes():
        doc = Client().get(f"/api/v1/instruments/{code}").json()
        assert_valid_r4(doc)
        assert doc["id"] == code


def test_unknown_instrument_is_a_422_naming_the_field() -> None:
    response = _post(Client(), "/api/v1/instruments/nope/score", {"answers": {}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "instrument"


def test_anonymous_scoring_stores_nothing() -> None:
    before = (Assessment.objects.count(), AuditEvent.objects.count())
    response = _post(Client(), "/api/v1/instruments/cows/score", {"answers": COWS})
    assert response.status_code == 200
    assert response.json()["total"] == 12
    assert response.json()["band"]["code"] == "mild"
    assert (Assessment.objects.count(), AuditEvent.objects.count()) == before


def test_every_bad_answer_is_named_with_its_field() -> None:
    body = {"answers": {**PHQ9_ZERO, "phq9_3": 9, "extra_q": 1}, "extras": {}}
    del body["answers"]["phq9_1"]  # type: ignore[attr-defined]
    response = _post(Client(), "/api/v1/instruments/phq9/score", body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    # an unknown key is named by its body field alone, not repeated (review 21y)
    assert fields == {"answers.phq9_1", "answers.phq9_3", "answers"}
    assert "extra_q" not in response.content.decode()


def test_ort_without_sex_names_the_extra_input() -> None:
    answers = {item.link_id: 0 for item in registry.get("ort").items}
    response = _post(Client(), "/api/v1/instruments/ort/score", {"answers": answers})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "extras.sex"


def test_scoring_is_rate_limited_per_address(settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.KEEL_SCORE_RATE = "2/m"
    client = Client(REMOTE_ADDR="198.51.100.4")
    codes = [_post(client, "/api/v1/instruments/cows/score", {"answers": COWS}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    other = Client(REMOTE_ADDR="198.51.100.5")
    assert _post(other, "/api/v1/instruments/cows/score", {"answers": COWS}).status_code == 200
    cache.clear()


def test_a_nurse_records_cows_for_her_patient(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = _post(
        client, f"/api/v1/patients/{world.alice.pk}/assessments", {"instrument": "cows", "answers": COWS}
    )
    assert response.status_code == 201
    data = response.json()
    assert data["result"]["total"] == 12
    assert data["filled_by_id"] == world.staff["nurse"].pk
    listed = client.get(f"/api/v1/patients/{world.alice.pk}/assessments?instrument=cows").json()
    assert [a["id"] for a in listed] == [data["id"]]


def test_a_patient_cannot_file_a_clinician_rated_instrument(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = _post(client, "/api/v1/me/assessments", {"instrument": "cows", "answers": COWS})
    assert response.status_code == 403
    assert Assessment.objects.count() == 0
    assert AuditEvent.objects.filter(action="denied", patient_id=world.alice.pk).exists()


def test_invalid_answers_write_no_row_and_no_audit(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    before = AuditEvent.objects.count()
    response = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/assessments",
        {"instrument": "cows", "answers": {**COWS, "restlessness": 2}},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "answers.restlessness", "reason": "2 is not allowed; use one of [0, 1, 3, 5]"}
    ]
    assert Assessment.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_future_administration_time_is_refused(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/assessments",
        {"instrument": "cows", "answers": COWS, "filled_at": "2099-01-01T00:00:00Z"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "filled_at"


def test_a_positive_item_nine_raises_one_flag_for_the_care_team(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = _post(
        client, "/api/v1/me/assessments", {"instrument": "phq9", "answers": {**PHQ9_ZERO, "phq9_9": 1}}
    )
    assert response.status_code == 201
    assert "item9_positive" in response.json()["result"]["flags"]
    flag = PatientFlag.objects.get(patient=world.alice)
    assert flag.kind == "suicide_risk"
    assert flag.priority == 0
    assert flag.resolved_at is None
    assert any("same-day suicide risk assessment" in r for r in flag.reasons)
    page = sign_in(Client(), world.staff["counselor"]).get(f"/patients/{world.alice.pk}/").content.decode()
    assert "Positive suicide screen" in page


def test_a_high_cssrs_raises_the_flag_and_a_negative_one_does_not(world: World) -> None:
    client = sign_in(Client(), world.staff["counselor"])
    path = f"/api/v1/patients/{world.alice.pk}/assessments"
    negative = {"cssrs_1": 0, "cssrs_2": 0, "cssrs_6": 0}
    assert _post(client, path, {"instrument": "cssrs-screen", "answers": negative}).status_code == 201
    assert not PatientFlag.objects.exists()
    high = {"cssrs_1": 1, "cssrs_2": 1, "cssrs_3": 1, "cssrs_4": 1, "cssrs_5": 0, "cssrs_6": 0}
    response = _post(client, path, {"instrument": "cssrs-screen", "answers": high})
    assert response.json()["result"]["band"]["code"] == "high"
    assert PatientFlag.objects.filter(patient=world.alice, kind="suicide_risk").count() == 1


@pytest.mark.parametrize("code", ["phq9", "cows", "bam", "cssrs-screen", "ort", "dsm5-oud", "gad7", "sows"])
def test_every_stored_assessment_exports_as_valid_fhir_r4(world: World, code: str) -> None:
    instrument = registry.get(code)
    answers: dict[str, int] = {}
    for item in instrument.items:
        if instrument.is_enabled(item, answers):
            answers[item.link_id] = item.allowed[-1]
    extras = {"sex": "female"} if code == "ort" else {}
    client = sign_in(Client(), world.staff["prescriber"])
    created = _post(
        client,
        f"/api/v1/patients/{world.alice.pk}/assessments",
        {"instrument": code, "answers": answers, "extras": extras},
    )
    assert created.status_code == 201, created.content
    response = client.get(f"/api/v1/patients/{world.alice.pk}/assessments/{created.json()['id']}/fhir")
    assert response["Content-Type"] == "application/fhir+json"
    bundle = response.json()
    assert_valid_r4(bundle)  # two independent R4 validators, every entry too
    resources = [e["resource"] for e in bundle["entry"]]
    qr = resources[0]
    assert qr["status"] == "completed"
    assert len(qr["item"]) == len(answers)
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    assert observations, "every assessment has at least one score observation"
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    for entry in bundle["entry"]:  # every reference resolves inside the Bundle
        for reference in _references(entry["resource"]):
            assert "http://testserver/fhir/R4/" + reference in full_urls, reference
    if code == "phq9":
        total = next(o for o in observations if o["id"].endswith("-total"))
        assert total["code"]["coding"][0]["code"] == "44261-6"
        assert total["valueInteger"] == 27
    if code == "cows":
        assert all(c["system"] != "http://loinc.org" for o in observations for c in o["code"]["coding"])


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in _references(v)]
    if isinstance(node, list):
        return [r for v in node for r in _references(v)]
    return []


def test_an_assessment_of_another_patient_is_a_404(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    created = _post(
        nurse, f"/api/v1/patients/{world.alice.pk}/assessments", {"instrument": "cows", "answers": COWS}
    )
    other = sign_in(Client(), world.lakeside_nurse)
    path = f"/api/v1/patients/{world.charlie.pk}/assessments/{created.json()['id']}/fhir"
    response = other.get(path)
    assert response.status_code == 404
    assert "Zamorano" not in response.content.decode()


def test_the_denial_of_another_patients_assessment_names_whose_record_was_probed(world: World) -> None:
    """An assessment id that is not this patient's: the denied row carries the patient and program asked
    about, so a privacy officer reading the audit log can tell whose record was probed (issue #17: it was
    written without them)."""
    nurse = sign_in(Client(), world.staff["nurse"])
    created = _post(
        nurse, f"/api/v1/patients/{world.alice.pk}/assessments", {"instrument": "cows", "answers": COWS}
    )
    other = sign_in(Client(), world.lakeside_nurse)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = other.get(f"/api/v1/patients/{world.charlie.pk}/assessments/{created.json()['id']}/fhir")
    assert response.status_code == 404
    denied = AuditEvent.objects.filter(id__gt=before, action="denied", target_type="assessment").get()
    assert denied.patient_id == world.charlie.pk
    assert denied.program_id == world.charlie.program_id
    assert denied.actor_id == world.lakeside_nurse.pk
    assert denied.outcome == "denied"
    assert denied.target_id == str(created.json()["id"])
    assert denied.reason == "not this patient's or missing"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from([f"phq9_{i}" for i in range(1, 12)]), st.integers(-3, 6), max_size=11))
def test_any_invalid_response_through_the_api_is_a_422_and_writes_nothing(
    world: World, answers: dict[str, int]
) -> None:
    valid = set(answers) == {f"phq9_{i}" for i in range(1, 10)} and all(0 <= v <= 3 for v in answers.values())
    client = sign_in(Client(), world.staff["nurse"])
    before = Assessment.objects.count()
    response = _post(
        client, f"/api/v1/patients/{world.alice.pk}/assessments", {"instrument": "phq9", "answers": answers}
    )
    if valid:
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert response.json()["errors"]
        assert Assessment.objects.count() == before


def test_score_errors_are_said_in_spanish_with_their_parts() -> None:
    """Review 21y: the core's answer reasons, templates and all, in the request's language."""
    body = json.dumps({"answers": {**PHQ9_ZERO, "phq9_3": 9, "phq9_4": "x"}})
    response = Client().post(
        "/api/v1/instruments/phq9/score", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es"
    )
    reasons = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert reasons["answers.phq9_3"].startswith("9 no está permitido; use uno de [")
    assert reasons["answers.phq9_4"].startswith("debe ser un número entero, uno de [")
