"""Typed request bodies the core checks (issue #17): `ThoughtRecordIn`, `SkillTryIn`, `CheckInIn` and `PlanIn`
are the core's field lists as pydantic models; the API and the pages parse through them, and every 422 is the
core's words."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.api_body import CoreIn
from keel.core.recovery import checkin as core_checkin
from keel.core.recovery import tools
from keel.core.rules.inputs import InvalidInput, json_schema
from keel.recovery.schemas import CheckInIn, PersonIn, PlanIn, SkillTryIn, ThoughtRecordIn
from tests.conftest import World, sign_in

THOUGHT = {"situation": "a", "automatic_thought": "b", "feeling": "c", "intensity_before": 40}
BAD_THOUGHTS: list[dict[str, Any]] = [
    {},
    {"intensity_before": 101, "zzz": 1},
    {**THOUGHT, "situation": " ", "intensity_before": 1.5, "intensity_after": -1},
    {**THOUGHT, "evidence_for": 3, "intensity_before": True},
]


def _core_errors(parse: Any, raw: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse(raw)
    return [{"field": e.field, "reason": e.reason} for e in caught.value.errors]


def test_the_model_is_the_core_field_list() -> None:
    assert list(ThoughtRecordIn.model_fields) == [f.name for f in tools.THOUGHT_RECORD]


def test_a_model_that_drifts_from_the_core_fails_when_defined() -> None:
    with pytest.raises(TypeError, match="must declare the core's fields"):

        class Drifted(CoreIn):  # one field missing
            FIELDS = tools.THOUGHT_RECORD
            situation: str


def test_parse_gives_typed_values_with_the_core_defaults() -> None:
    record = ThoughtRecordIn.parse({**THOUGHT, "situation": "  a  "})
    assert isinstance(record, ThoughtRecordIn)
    assert record.situation == "a"
    assert record.intensity_before == 40
    assert record.intensity_after is None
    assert record.evidence_for == ""


@pytest.mark.parametrize("raw", BAD_THOUGHTS)
def test_parse_raises_the_core_errors_in_the_core_order(raw: dict[str, Any]) -> None:
    assert _core_errors(ThoughtRecordIn.parse, raw) == _core_errors(tools.parse_thought_record, raw)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", BAD_THOUGHTS)
def test_the_api_422_is_the_core_errors_word_for_word(world: World, raw: dict[str, Any]) -> None:
    alice = sign_in(Client(), world.alice.user)
    response = alice.post("/api/v1/me/thought-records", json.dumps(raw), content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {
        "message": "Some fields are not valid.",
        "errors": _core_errors(tools.parse_thought_record, raw),
    }


@pytest.mark.django_db
def test_who_may_not_write_is_refused_before_the_body_is_judged(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.post("/api/v1/me/thought-records", "{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_openapi_body_is_a_component_with_the_core_schema() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/me/thought-records"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ThoughtRecordIn"}
    component = doc["components"]["schemas"]["ThoughtRecordIn"]
    assert component == {"title": "ThoughtRecordIn", **json_schema(tools.THOUGHT_RECORD)}


BAD_TRIES: list[dict[str, Any]] = [{}, {"skill": "magic", "helped": "maybe"}, {"skill": ["halt"], "x": 1}]


@pytest.mark.parametrize("raw", BAD_TRIES)
def test_a_skill_try_raises_the_core_errors(raw: dict[str, Any]) -> None:
    assert _core_errors(SkillTryIn.parse, raw) == _core_errors(tools.parse_skill_try, raw)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", BAD_TRIES)
def test_the_skill_try_422_is_the_core_errors_word_for_word(world: World, raw: dict[str, Any]) -> None:
    alice = sign_in(Client(), world.alice.user)
    response = alice.post("/api/v1/me/skills/tries", json.dumps(raw), content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {
        "message": "Some fields are not valid.",
        "errors": _core_errors(tools.parse_skill_try, raw),
    }


@pytest.mark.django_db
def test_the_skill_try_body_is_a_component_with_the_core_schema() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/me/skills/tries"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SkillTryIn"}
    component = doc["components"]["schemas"]["SkillTryIn"]
    assert component == {"title": "SkillTryIn", **json_schema(tools.SKILL_TRY)}


CHECKIN = {"craving": 3, "mood": 4, "used": False, "medication": "taken"}
BAD_CHECKINS: list[dict[str, Any]] = [
    {},
    {"craving": 11, "mood": 0, "used": "no", "medication": "z", "zzz": 1},
    {**CHECKIN, "used_what": ["heroin"]},
]


def test_a_checkin_is_the_core_field_list_with_typed_values() -> None:
    checkin = CheckInIn.parse({**CHECKIN, "note": " hi "})
    assert list(CheckInIn.model_fields) == [f.name for f in core_checkin.FIELDS]
    assert checkin.note == "hi"
    assert checkin.triggers == []


@pytest.mark.parametrize("raw", BAD_CHECKINS)
def test_a_checkin_raises_the_core_errors(raw: dict[str, Any]) -> None:
    assert _core_errors(CheckInIn.parse, raw) == _core_errors(core_checkin.parse_checkin, raw)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", BAD_CHECKINS)
def test_the_checkin_422_is_the_core_errors_word_for_word(world: World, raw: dict[str, Any]) -> None:
    alice = sign_in(Client(), world.alice.user)
    response = alice.post(
        "/api/v1/me/checkins", json.dumps(raw), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.json() == {
        "message": "Some fields are not valid.",
        "errors": _core_errors(core_checkin.parse_checkin, raw),
    }


@pytest.mark.django_db
def test_the_checkin_body_is_a_component_with_the_core_schema() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    component = doc["components"]["schemas"]["CheckInIn"]
    assert component == json.loads(json.dumps({"title": "CheckInIn", **json_schema(core_checkin.FIELDS)}))


def test_a_plan_is_typed_down_to_its_people() -> None:
    plan = PlanIn.parse({"version": 2, "plan": {"reasons": ["me"], "people": [{"name": " Sam "}]}})
    assert plan.plan.people == [PersonIn(name="Sam", phone="")]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"version": True, "plan": "x"}, "version"),
        ({"version": 0, "plan": []}, "plan"),
        ({"version": 0}, "plan"),
    ],
)
def test_a_bad_version_then_a_plan_not_an_object_is_named_alone(raw: dict[str, Any], field: str) -> None:
    assert [e["field"] for e in _core_errors(PlanIn.parse, raw)] == [field]


@pytest.mark.django_db
def test_the_plan_422_names_the_plan_fields(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    body = {"version": 0, "plan": {"zz": 1}}
    response = alice.put("/api/v1/me/plan", json.dumps(body), content_type="application/json")
    assert response.json() == {
        "message": "Some fields are not valid.",
        "errors": [{"field": "zz", "reason": "not a part of the plan"}],
    }


@pytest.mark.django_db
def test_who_may_not_write_a_plan_is_refused_before_its_version_is_judged(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    response = nurse.put("/api/v1/me/plan", '{"version": true}', content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_plan_body_is_a_component() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/me/plan"]["put"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PlanIn"}


def test_a_nested_part_that_drifts_from_its_declaration_fails_when_defined() -> None:
    with pytest.raises(TypeError, match="must declare the core's fields"):

        class Drifted(CoreIn):  # declared as text, named a list of text
            NESTED = {"reasons": list[str]}
            reasons: str


def test_a_model_built_from_checked_values_is_what_pydantic_would_build() -> None:
    values = core_checkin.parse_checkin(CHECKIN)
    built = CheckInIn.of(values)
    constructed = CheckInIn.model_construct(None, **values)
    assert (built, built.model_fields_set, repr(built)) == (
        constructed,
        constructed.model_fields_set,
        repr(constructed),
    )


def test_the_checked_values_are_the_core_values_in_its_order() -> None:
    values = core_checkin.parse_checkin(CHECKIN)
    assert list(CheckInIn.of(values).checked_values().items()) == list(values.items())
