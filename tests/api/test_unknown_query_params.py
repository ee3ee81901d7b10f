"""Review 16a: a query parameter an operation does not read is refused by name (422), not dropped.

`POST /api/v1/patients/{id}/doses?sedated=true` recorded the dose as GIVEN: ninja drops a query parameter no
argument declares. Every operation of the API is covered (collected from the OpenAPI document, so a new
route is held to it): an unknown parameter is named, whoever asks and whatever the body (a bad body's 422
names it too); a declared one given twice is refused unless it takes several values; the routes that read
`request.GET` by hand (`keel.api_query.reads_query`) still read theirs. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from keel.api_query import declared_query
from keel.treatment.models import DoseRecord
from keel.treatment.queries import orders_version
from tests.conftest import World

pytestmark = pytest.mark.django_db

ODD = "zz_not_a_param"
UNDECLARED = "not a query parameter of this request"


def _document() -> dict[str, Any]:
    from keel.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), default=str))  # type: ignore[no-any-return]


DOC = _document()
OPERATIONS = [
    (method, path, op)
    for path, methods in DOC["paths"].items()
    for method, op in methods.items()
    if method in {"get", "post", "put", "patch", "delete"}
]
IDS = [f"{m.upper()} {p}" for m, p, _o in OPERATIONS]


def _url(path: str, world: World) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "patient_id":
            return str(world.alice.pk)
        return "1" if name.endswith("id") else "x"

    return re.sub(r"\{(\w+)\}", fill, path)


def _call(client: Client, method: str, url: str, body: str = "{}") -> Any:
    if method in {"get", "delete"}:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=body, content_type="application/json")


def _fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def test_the_document_has_the_operations() -> None:
    assert len(OPERATIONS) >= 100


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_every_operation_refuses_an_unknown_query_parameter(
    method: str, path: str, op: Any, world: World, signed_in: Any
) -> None:
    """Signed in (a program admin, whatever the route lets them do): 422 naming the parameter, before the
    route runs (its 403/404), as for a body's unknown key."""
    client = signed_in("program_admin")
    r = _call(client, method, f"{_url(path, world)}?{ODD}=1")
    if r.status_code == 401:
        pytest.fail(f"{method.upper()} {path}: 401 for a signed-in caller")
    assert r.status_code == 422, (r.status_code, r.content[:300])
    assert ODD in _fields(r), r.content[:300]


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=IDS)
def test_the_declared_query_parameters_are_the_documents(method: str, path: str, op: Any) -> None:
    """What the guard lets through is what the document lists (plus `reads_query` names): nothing else."""
    from keel.api import api

    documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    view = _view(api, path, method)
    names, _lists = declared_query(view)
    reads = set(getattr(view, "_keel_reads_query", ()))
    assert names == documented | reads


def _view(api: Any, path: str, method: str) -> Any:
    prefix = "/api/v1"
    for _p, router in api._routers:
        for route, path_view in router.path_operations.items():
            for operation in path_view.operations:
                full = re.sub(r"\{\w+:(\w+)\}", r"{\1}", f"{prefix}{_p and '/' + _p.strip('/')}{route}")
                full = full.replace("//", "/")
                if method.upper() in operation.methods and full.rstrip("/") == path.rstrip("/"):
                    return getattr(operation.view_func, "__wrapped__", operation.view_func)
    raise AssertionError(f"no operation for {method} {path}")


def test_a_dose_with_a_flag_in_the_query_is_refused_by_name(world: World, signed_in: Any) -> None:
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
    nurse = signed_in("nurse")
    url = f"/api/v1/patients/{world.alice.pk}/doses"
    for query in ("sedated=true", "sedated=", "s%65dated=1", "amount_mg=30", "sequence=1&sedated=false"):
        r = _call(nurse, "post", f"{url}?{query}", json.dumps({"sequence": 1, "amount_mg": 30}))
        assert r.status_code == 422, (query, r.status_code, r.content)
        assert any(f in _fields(r) for f in ("sedated", "amount_mg", "sequence")), r.content
    assert not DoseRecord.objects.filter(patient=world.alice).exists()


def test_a_bad_body_and_an_unknown_parameter_are_named_together(world: World, signed_in: Any) -> None:
    r = _call(
        signed_in("nurse"), "post", f"/api/v1/patients/{world.alice.pk}/doses?sedated=1", '{"sequence": "x"}'
    )
    assert r.status_code == 422
    assert {"sequence", "sedated"} <= set(_fields(r))
    assert dict((e["field"], e["reason"]) for e in r.json()["errors"])["sedated"] == UNDECLARED


def test_a_get_route_refuses_an_unknown_parameter_and_keeps_its_own(world: World, signed_in: Any) -> None:
    client = signed_in("program_admin")
    assert client.get(f"/api/v1/patients/{world.alice.pk}/checkins?days=7").status_code == 200
    r = client.get(f"/api/v1/patients/{world.alice.pk}/checkins?day=7")
    assert r.status_code == 422 and _fields(r) == ["day"]


def test_a_declared_parameter_given_twice_is_refused(world: World, signed_in: Any) -> None:
    r = signed_in("program_admin").get(f"/api/v1/patients/{world.alice.pk}/checkins?days=7&days=90")
    assert r.status_code == 422 and _fields(r) == ["days"]
    assert r.json()["errors"][0]["reason"] == "is given more than once"


def test_the_directory_searches_still_read_their_parameters() -> None:
    client = Client()
    r = client.get("/api/v1/meetings?lat=40.7&lon=-74&radius_mi=5&day=1&limit=5")
    assert r.status_code == 200, r.content
    r = client.get("/api/v1/facilities?lat=40.7&lon=-74&radius_km=5&service=x&payment=y&language=en")
    assert r.status_code == 200, r.content
    r = client.get("/api/v1/facilities?lat=40.7&lon=-74&sedated=1")
    assert r.status_code == 422 and _fields(r) == ["sedated"]


def test_the_reason_is_said_in_spanish(world: World, signed_in: Any) -> None:
    r = signed_in("program_admin").get(
        f"/api/v1/patients/{world.alice.pk}/checkins?x=1", HTTP_ACCEPT_LANGUAGE="es"
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"field": "x", "reason": "no es un parámetro de consulta de esta solicitud"}
    ]


def test_a_form_encoded_query_lookalike_in_the_body_is_not_json(world: World, signed_in: Any) -> None:
    r = signed_in("nurse").post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        data="sequence=1&amount_mg=30&sedated=false",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 422, r.content
    assert not DoseRecord.objects.filter(patient=world.alice).exists()


def test_a_duplicate_body_key_and_an_unknown_parameter_are_named_together(
    world: World, signed_in: Any
) -> None:
    raw = '{"sequence": 1, "sequence": 2, "amount_mg": 30}'
    r = _call(signed_in("nurse"), "post", f"/api/v1/patients/{world.alice.pk}/doses?sedated=1", raw)
    assert r.status_code == 422
    assert _fields(r) == ["sequence", "sedated"]
