"""The intake's typed body (issue #17): `IntakeIn` is the core's field list with a nested list of opioids
(`OpioidUseIn`), checked by `keel.core.intake.parse_intake` at the time it is recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from keel.core import intake as core_intake
from keel.core.rules.inputs import InvalidInput
from keel.treatment.schemas import IntakeIn, OpioidUseIn
from tests.conftest import World, sign_in

NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
INTAKE = {"pregnant": "no", "opioids": [{"opioid": "fentanyl", "routes": ["smoke"]}]}
BAD: list[dict[str, Any]] = [
    {},
    {"pregnant": "maybe", "prior_overdoses": -1, "zz": 1},
    {"pregnant": "no", "opioids": [1, {"opioid": "heroin"}, {"opioid": "heroin"}]},
    {"pregnant": "no", "opioids": [{"opioid": "heroin", "last_use_at": "2027-01-01T00:00:00+00:00"}]},
]


def _core_errors(parse: Any, raw: dict[str, Any]) -> list[dict[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse(raw, NOW)
    return [{"field": e.field, "reason": e.reason} for e in caught.value.errors]


def test_the_opioids_are_typed_items() -> None:
    intake = IntakeIn.parse(INTAKE, NOW)
    assert intake.opioids == [OpioidUseIn(opioid="fentanyl", routes=["smoke"], last_use_at="")]


def test_the_stored_values_are_the_core_values() -> None:
    assert IntakeIn.parse(INTAKE, NOW).model_dump() == core_intake.parse_intake(INTAKE, NOW)


def test_an_intake_is_parsed_at_a_time() -> None:
    with pytest.raises(TypeError, match="now"):
        IntakeIn.parse(INTAKE)


@pytest.mark.parametrize("raw", BAD)
def test_an_intake_raises_the_core_errors(raw: dict[str, Any]) -> None:
    assert _core_errors(IntakeIn.parse, raw) == _core_errors(core_intake.parse_intake, raw)


@pytest.mark.django_db
def test_the_intake_422_is_the_core_errors_word_for_word(world: World) -> None:
    raw = BAD[2]
    counselor = sign_in(Client(), world.staff["counselor"])
    response = counselor.post(
        f"/api/v1/patients/{world.alice.pk}/intakes", json.dumps(raw), content_type="application/json"
    )
    assert response.json() == {
        "message": "Some fields are not valid.",
        "errors": _core_errors(core_intake.parse_intake, raw),
    }


@pytest.mark.django_db
def test_who_may_not_record_an_intake_is_refused_before_the_body_is_judged(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)  # a patient: not a writer of intakes
    response = alice.post(f"/api/v1/patients/{world.alice.pk}/intakes", "{}", content_type="application/json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_intake_body_is_a_component_with_its_opioids() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    component = doc["components"]["schemas"]["IntakeIn"]
    assert component["properties"]["opioids"]["items"]["required"] == ["opioid"]
