"""Review 16a: a ninja body (`keel.schemas.In`) takes each field as its JSON type, as the core's bodies do.

pydantic's lax mode read `"sedated": "no"` or `0` as false (a dose recorded), `"bottle_returned": "1"` as
true, and `"user_id": "7"` (or true) as 7. `In` is strict now: a flag is JSON true or false, a whole number
a JSON number. JSON has no date, so a date field (`IsoDate`, `IsoDateTime`) takes ISO text, and only that.
A field that takes a number as text on purpose (a dose's `amount_mg`: "30.5") is `Any`, checked by the core.
Every `In` model is covered (collected from its subclasses, so a new body is held to it)."""

from __future__ import annotations

import datetime
import json
import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import keel.api  # noqa: F401  (every router: every In body)
from keel.schemas import In
from keel.treatment.models import DoseRecord
from keel.treatment.queries import orders_version
from keel.treatment.schemas import TakeHomeCriteriaIn
from tests.conftest import World


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


MODELS = sorted(set(_subclasses(In)), key=lambda c: c.__name__)


def _base(annotation: Any) -> Any:
    """`int | None` -> int; `Annotated[date, ...] | None` -> date."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _fields(model: type[BaseModel], kind: type) -> list[str]:
    return [n for n, f in model.model_fields.items() if _base(f.annotation) is kind]


def _loc_names(exc: ValidationError) -> set[str]:
    return {str(e["loc"][0]) for e in exc.errors()}


BOOLS = [(m, n) for m in MODELS for n in _fields(m, bool)]
INTS = [(m, n) for m in MODELS for n in _fields(m, int)]
DATES = [(m, n) for m in MODELS for n in _fields(m, datetime.date)]
DATETIMES = [(m, n) for m in MODELS for n in _fields(m, datetime.datetime)]


def test_the_fields_this_review_found_are_covered() -> None:
    assert {("DoseIn", "sedated"), ("DoseIn", "bottle_returned")} <= {(m.__name__, n) for m, n in BOOLS}
    assert ("CareTeamIn", "user_id") in {(m.__name__, n) for m, n in INTS}
    assert len(DATES) >= 4 and DATETIMES


def test_every_in_body_is_strict() -> None:
    assert all(m.model_config.get("strict") is True for m in MODELS)


@pytest.mark.parametrize(("model", "name"), BOOLS, ids=[f"{m.__name__}.{n}" for m, n in BOOLS])
@pytest.mark.parametrize("value", ["true", "no", "1", 1, 0, None, "on"])
def test_a_flag_is_json_true_or_false(model: type[BaseModel], name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({name: value})
    assert name in _loc_names(caught.value)


@pytest.mark.parametrize(("model", "name"), INTS, ids=[f"{m.__name__}.{n}" for m, n in INTS])
@pytest.mark.parametrize("value", ["7", True, False, 7.5, "7.0"])
def test_a_whole_number_is_a_json_number(model: type[BaseModel], name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({name: value})
    assert name in _loc_names(caught.value)


@pytest.mark.parametrize(("model", "name"), DATES, ids=[f"{m.__name__}.{n}" for m, n in DATES])
def test_a_date_is_iso_text(model: type[BaseModel], name: str) -> None:
    for bad in (1_764_806_400, True, "2026-13-01", "tomorrow"):
        with pytest.raises(ValidationError) as caught:
            model.model_validate({name: bad})
        assert name in _loc_names(caught.value), bad
    try:
        model.model_validate({name: "2026-12-01"})
    except ValidationError as exc:  # other fields may be required; this one is not named
        assert name not in _loc_names(exc)


@pytest.mark.parametrize(("model", "name"), DATETIMES, ids=[f"{m.__name__}.{n}" for m, n in DATETIMES])
def test_a_moment_is_iso_text(model: type[BaseModel], name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({name: 1_764_806_400})
    assert name in _loc_names(caught.value)
    try:
        model.model_validate({name: "2026-12-01T08:30:00-05:00"})
    except ValidationError as exc:
        assert name not in _loc_names(exc)


def test_a_date_list_is_iso_text_too() -> None:
    from keel.treatment.schemas import TakeHomeEndIn

    body = TakeHomeEndIn.model_validate({"reason": "r", "returned_days": ["2026-12-01"]})
    assert body.returned_days == [datetime.date(2026, 12, 1)]
    with pytest.raises(ValidationError):
        TakeHomeEndIn.model_validate({"reason": "r", "returned_days": [20261201]})


def test_a_nested_criterion_is_json_true_or_false() -> None:
    from keel.treatment.schemas import TakeHomeIn

    criteria = {key: True for key in TakeHomeCriteriaIn.__annotations__}
    assert TakeHomeIn.model_validate({"criteria": criteria}).criteria == criteria
    with pytest.raises(ValidationError) as caught:
        TakeHomeIn.model_validate({"criteria": {**criteria, "safe_transport_and_storage": "1"}})
    assert [e["loc"] for e in caught.value.errors()] == [("criteria", "safe_transport_and_storage")]


# --- Over HTTP --------------------------------------------------------------------------------------------


def _order(signed_in: Any, world: World) -> None:
    r = signed_in("prescriber").post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        data={
            "medication": "methadone",
            "dose_mg": 30,
            "order_version": 0,
            "orders_version": orders_version(world.alice),
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content


def _dose(signed_in: Any, world: World, body: dict[str, Any]) -> Any:
    return signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/doses", data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"), [("sedated", "no"), ("sedated", 0), ("bottle_returned", "1"), ("sequence", "1")]
)
def test_a_dose_with_a_field_of_another_type_is_refused(
    field: str, value: Any, world: World, signed_in: Any
) -> None:
    _order(signed_in, world)
    r = _dose(signed_in, world, {"sequence": 1, "amount_mg": 30, field: value})
    assert r.status_code == 422, r.content
    assert any(e["field"] == field for e in r.json()["errors"])
    assert not DoseRecord.objects.filter(patient=world.alice).exists()


@pytest.mark.django_db
def test_a_dose_amount_as_decimal_text_still_works(world: World, signed_in: Any) -> None:
    """`amount_mg` takes "30.5" on purpose (decimal text, as a dose is written): the core checks it."""
    _order(signed_in, world)
    r = _dose(signed_in, world, {"sequence": 1, "amount_mg": "30", "sedated": False})
    assert r.status_code == 201, r.content
    assert r.json()["amount_mg"] in {"30", "30.0", "30.00"}


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", ["{pk}", True, 1.0])
def test_a_care_team_member_is_a_json_number(user_id: Any, world: World, signed_in: Any) -> None:
    pk = world.staff["counselor"].pk
    value = str(pk) if user_id == "{pk}" else user_id
    r = signed_in("program_admin").post(
        f"/api/v1/patients/{world.bob.pk}/care-team",
        data=json.dumps({"user_id": value}),
        content_type="application/json",
    )
    assert r.status_code == 422, r.content
    assert [e["field"] for e in r.json()["errors"]] == ["user_id"]
