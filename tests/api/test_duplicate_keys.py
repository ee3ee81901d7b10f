"""Review 16a: a JSON body that names a key twice is refused (422 naming the key), at any depth.

Python's json keeps the last value; a gateway, a logger or a client-side check may read the first, so
`{"sedated": true, ..., "sedated": false}` was a hold to one reader and a dose given to another. Every API
body goes through one loader (`keel.core.rules.inputs.loads_json`: ninja's parser `keel.api.KeelParser`, the
core's bodies `keel.api_body.json_object`). Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from keel.api import KeelParser, api
from keel.core.rules.inputs import DuplicateKey, loads_json
from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.queries import orders_version
from tests.conftest import World

REASON = "is given more than once"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ('{"a": 1, "a": 1}', "a"),  # the same value twice is still two keys
        ('{"sedated": true, "s\\u0065dated": false}', "sedated"),  # an escape is the key json decodes
        ('{"x": {"day": 1, "day": 2}}', "day"),  # nested
        ('[{"mg": 1}, {"mg": 1, "mg": 2}]', "mg"),  # an array's objects
        ('{"\\u00e9": 1, "\u00e9": 2}', "\u00e9"),
    ],
)
def test_the_loader_refuses_a_duplicate_key(raw: str, key: str) -> None:
    with pytest.raises(DuplicateKey) as caught:
        loads_json(raw)
    assert caught.value.key == key
    assert isinstance(caught.value, ValueError)  # every caller that refuses bad JSON refuses it


def test_keys_that_only_look_alike_are_two_keys() -> None:
    assert loads_json('{"sedated": 1, "Sedated": 2, "sedated ": 3}') == {
        "sedated": 1,
        "Sedated": 2,
        "sedated ": 3,
    }
    assert loads_json('[{"a": 1}, {"a": 2}]') == [{"a": 1}, {"a": 2}]  # one key in each object


def test_the_api_parses_bodies_with_the_loader() -> None:
    assert isinstance(api.parser, KeelParser)


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


def _errors(r: Any) -> list[dict[str, str]]:
    return r.json()["errors"]  # type: ignore[no-any-return]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        '{"sequence": 1, "amount_mg": 30, "sedated": true, "sedated": false}',
        '{"sequence": 1, "amount_mg": 30, "sedated": true, "s\\u0065dated": false}',
        '{"sequence": 1, "amount_mg": 30, "amount_mg": 300}',
    ],
)
def test_a_dose_with_a_duplicate_key_is_refused(raw: str, world: World, signed_in: Any) -> None:
    _order(signed_in, world)
    r = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/doses", data=raw, content_type="application/json"
    )
    assert r.status_code == 422, r.content
    assert _errors(r)[0]["reason"] == REASON and _errors(r)[0]["field"] in {"sedated", "amount_mg"}
    assert not DoseRecord.objects.filter(patient=world.alice).exists()


@pytest.mark.django_db
def test_a_nested_duplicate_criterion_is_refused(world: World, signed_in: Any) -> None:
    raw = (
        '{"criteria": {"no_active_risky_use": true, "regular_attendance": true, '
        '"no_serious_behavior_problems": true, "no_known_recent_diversion": true, '
        '"safe_transport_and_storage": false, "safe_transport_and_storage": true, '
        '"other_factors_considered": true}}'
    )
    r = signed_in("prescriber").post(
        f"/api/v1/patients/{world.alice.pk}/take-homes", data=raw, content_type="application/json"
    )
    assert r.status_code == 422, r.content
    assert {"field": "safe_transport_and_storage", "reason": REASON} in _errors(r)
    assert not TakeHomePlan.objects.exists()


@pytest.mark.django_db
def test_a_core_body_with_a_duplicate_key_is_refused(world: World, signed_in: Any) -> None:
    """A body the core checks (`CoreIn`, read by `json_object`): the same refusal."""
    raw = '{"given_name": "Ana", "given_name": "Eve", "family_name": "Ruiz", "date_of_birth": "1990-01-01"}'
    r = signed_in("program_admin").post("/api/v1/patients", data=raw, content_type="application/json")
    assert r.status_code == 422, r.content
    assert {"field": "given_name", "reason": REASON} in _errors(r)


@pytest.mark.django_db
def test_the_reason_is_said_in_spanish(world: World, signed_in: Any) -> None:
    _order(signed_in, world)
    r = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        data='{"sequence": 1, "sequence": 2, "amount_mg": 30}',
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert r.status_code == 422
    assert _errors(r) == [{"field": "sequence", "reason": "se indica más de una vez"}]
