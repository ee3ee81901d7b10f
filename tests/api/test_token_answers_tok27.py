"""Lane tok27: what a staff member's token's successful write answers (review 26a's principle: an answer to a
token never tells it more of the record than it needs; the record stays in Keel where a person signed in
reads it). A dose recorded by a staff token (a dispensing system) answers `DoseRecordedOut` (id, date,
sequence, status, mg given, recorded_at); a session's answer is the whole `DoseOut`, unchanged; the OpenAPI
says both. The rule run names no one and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from keel.treatment.models import DoseRecord
from keel.treatment.schemas import DoseOut, DoseRecordedOut
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db

RECORDED = {"id", "date", "sequence", "status", "amount_mg", "recorded_at"}
WHOLE = {
    "id",
    "date",
    "sequence",
    "status",
    "amount_mg",
    "effective_mg",
    "treatment_day",
    "day_in_treatment",  # lane day34: the count every screen shows, beside the raw day
    "correction_version",  # lane fix34a: the version a correction of this dose sends
    "decision",
    "override_id",
    "redose_override_id",  # lane fix36c: the early re-dose override beside a limit override (review 35f)
    "amendments",
    "recorded_at",
}
READY = {
    "opioids": [{"opioid": "heroin", "hours_since_last_use": 14}],
    "cows_total": 13,
    "cows_age_hours": 0.5,
}


def _token(user: Any, recipient: str = "") -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="pump", recipient_name=recipient).secret


def _post(path: str, body: dict[str, Any], secret: str) -> Any:
    return Client().post(
        path, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )


def _dose_by_token(world: World, role: str = "nurse") -> Any:
    methadone_with_qtc(world, None, taken=True)
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    return _post(path, {"amount_mg": "80.00", "sequence": 1}, _token(world.staff[role]))


def _dose_signed_in(world: World) -> Any:
    methadone_with_qtc(world, None, taken=True)
    client = sign_in(Client(), world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    # "80.00": the amount as the database gives it back, so the answer can be rebuilt from the row
    return client.post(path, data={"amount_mg": "80.00", "sequence": 1}, content_type="application/json")


def test_a_staff_tokens_dose_answers_what_a_dispensing_system_needs(world: World) -> None:
    answer = _dose_by_token(world)
    assert (answer.status_code, set(answer.json())) == (201, RECORDED)


def test_a_staff_tokens_dose_answer_names_no_decision(world: World) -> None:
    body = _dose_by_token(world).content.decode()
    never = {"decision", "reasons", "treatment_day", "day_in_treatment", "amendments", "override_id"}
    assert not never & set(json.loads(body))
    assert "qtc" not in body.lower()


def test_a_staff_tokens_dose_answer_is_the_dose_recorded(world: World) -> None:
    data = _dose_by_token(world).json()
    dose = DoseRecord.objects.get(pk=data["id"])
    assert data == DoseRecordedOut.of(dose).model_dump()


def test_a_staff_tokens_dose_answer_says_what_was_given(world: World) -> None:
    data = _dose_by_token(world).json()
    assert (data["sequence"], data["amount_mg"], data["status"]) == (1, "80.00", "given")


def test_a_prescribers_token_has_the_same_small_answer(world: World) -> None:
    answer = _dose_by_token(world, "prescriber")
    if answer.status_code == 201:  # a prescriber records doses where the policy lets them
        assert set(answer.json()) == RECORDED
    else:
        assert "decision" not in answer.json()


def test_a_nurse_signed_in_still_has_the_whole_dose(world: World) -> None:
    answer = _dose_signed_in(world)
    assert (answer.status_code, set(answer.json())) == (201, WHOLE)


def test_a_nurse_signed_in_has_the_same_bytes_as_before(world: World, monkeypatch: Any) -> None:
    """Byte for byte what the route answered before lane tok27: ninja's renderer over `DoseOut.of` of the
    dose the service returned (the stored row would do on SQLite only: PostgreSQL's jsonb orders the
    decision's keys its own way)."""
    from keel.api import api
    from keel.treatment import services

    given: list[Any] = []
    record = services.record_dose

    def spy(**kw: Any) -> Any:
        outcome = record(**kw)
        given.append(outcome.dose)
        return outcome

    monkeypatch.setattr(services, "record_dose", spy)
    answer = _dose_signed_in(world)
    from keel.treatment.queries.take_homes import admission_day_number

    # lane day34: with the day in treatment the program counts (`day_in_treatment`, beside `treatment_day`)
    counted = DoseOut.of(given[0], admission_day_number(world.alice))
    expected = api.renderer.render(None, counted.model_dump(), response_status=201)  # type: ignore[arg-type]
    assert answer.content == str(expected).encode()


def test_a_nurse_signed_in_still_reads_the_decision(world: World) -> None:
    data = _dose_signed_in(world).json()
    assert data["decision"] and "decision" in data["decision"]


def test_a_patients_own_token_does_not_record_a_dose(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    before = DoseRecord.objects.count()
    answer = _post(path, {"amount_mg": 80, "sequence": 1}, _token(world.alice.user))
    assert (answer.status_code, DoseRecord.objects.count()) == (403, before)


def test_a_bound_token_does_not_record_a_dose(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    before = DoseRecord.objects.count()
    answer = _post(path, {"amount_mg": 80, "sequence": 1}, _token(world.staff["nurse"], "County ED"))
    assert (answer.status_code, DoseRecord.objects.count()) == (403, before)


def _schema_201() -> dict[str, Any]:
    schema = Client().get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/patients/{patient_id}/doses"]["post"]
    return dict(op["responses"]["201"]["content"]["application/json"]["schema"])


def _refs(node: dict[str, Any]) -> set[str]:
    options = node.get("anyOf") or node.get("oneOf") or [node]
    return {str(o.get("$ref", "")).rsplit("/", 1)[-1] for o in options}


def test_the_openapi_says_both_answers(world: World) -> None:
    assert _refs(_schema_201()) == {"DoseOut", "DoseRecordedOut"}


def test_the_openapi_token_answer_has_only_its_fields(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    props = schema["components"]["schemas"]["DoseRecordedOut"]["properties"]
    assert set(props) == RECORDED


def test_the_openapi_says_which_answer_goes_to_whom(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    said = schema["paths"]["/api/v1/patients/{patient_id}/doses"]["post"]["description"]
    assert "DoseRecordedOut" in said and "token" in said


# --- the rule run: names no one, stores nothing ----------------------------------------------------------


def _rows() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed}


def test_a_rule_run_by_a_token_stores_nothing(world: World) -> None:
    secret = _token(world.staff["prescriber"])
    before = _rows()
    answer = _post("/api/v1/rules/buprenorphine-readiness", {"input": READY}, secret)
    assert answer.status_code == 200
    assert _rows() == before


def test_a_rule_run_by_a_token_names_no_one(world: World) -> None:
    secret = _token(world.staff["prescriber"])
    body = _post("/api/v1/rules/buprenorphine-readiness", {"input": READY}, secret).content.decode()
    for person in (world.alice, world.bob, world.charlie):
        assert person.family_name not in body and person.given_name not in body
    assert "patient" not in json.loads(body)


def test_a_rule_run_takes_no_person(world: World) -> None:
    """Its body is the rule's inputs, the caller's tighter policy and a program: no patient_id to read."""
    schema = Client().get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/rules/{name}"]["post"]
    assert [p["name"] for p in op.get("parameters", [])] == ["name"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"input", "policy", "program"}
