"""Session 24 (lane api24): every write answer that changes the person's medication orders gives the orders'
new `orders_version`, so an integration engineer's client writes again without reading again. Keel's orders
change by two writes only (`queries.order_versions`: a new order's id, a stopped order's count): a new order
(POST /patients/{id}/orders: a first order, a change of dose, one written to start later, another
medication) and a discharge, which stops the active and pending orders (POST /patients/{id}/discharge). A
hold, a take-home plan or its end, a fill or its void, an injection change no order (the version stays: see
`test_writes_that_change_no_order_leave_the_version`), so their answers carry none.

The version in an answer is read under the lock the write held: it stands for what the client read and its
own write, never a colleague's order written after it (which a write with it must meet as a 409)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.patients.schemas import ReadmissionIn
from keel.patients.services.episodes import readmit
from keel.treatment import queries, services
from keel.treatment.api import orders as orders_api
from keel.treatment.models import MedicationOrder
from tests.conftest import World, sign_in
from tests.treatment.test_orders_version import colleague, methadone, post, read, rows

pytestmark = pytest.mark.django_db


def written(world: World, body: dict[str, Any]) -> dict[str, Any]:
    response = post(world, body)
    assert response.status_code == 201, response.content
    out: dict[str, Any] = response.json()
    return out


def refused(world: World, body: dict[str, Any], status: int) -> dict[str, Any]:
    before = rows(world)
    response = post(world, body)
    assert response.status_code == status, response.content
    assert rows(world) == before  # nothing written
    out: dict[str, Any] = response.json()
    assert [e["field"] for e in out["errors"]] == ["orders_version"]
    return out


# A new order's answer


def test_the_answer_gives_the_new_version_and_a_second_write_with_it_succeeds(world: World) -> None:
    old = read(world)["orders_version"]
    first = written(world, methadone(old, "30"))
    new = first["orders_version"]
    assert new != old
    assert new == queries.orders_version(world.alice) == read(world)["orders_version"]
    second = written(world, methadone(new, "35"))  # no read in between
    assert second["orders_version"] not in (old, new)
    assert [r[2] for r in rows(world)] == ["30", "35"]


def test_the_old_version_after_a_write_is_409_with_nothing_written(world: World) -> None:
    old = read(world)["orders_version"]
    written(world, methadone(old, "30"))
    refused(world, methadone(old, "35"), 409)


def test_each_kind_of_order_write_answers_with_the_version_a_read_gives(world: World) -> None:
    """A first order, a change of dose, another medication, one written to start later: each answer's
    version is the one GET gives just after, and the next write goes through with it."""
    from datetime import timedelta

    from keel.patients.models import local_today

    later = (local_today(world.alice) + timedelta(days=2)).isoformat()
    token = read(world)["orders_version"]
    for body in (
        methadone(token, "30"),
        methadone(None, "40"),
        # another medication stops the other's order (session 39, lane switch39: the choice is required)
        {"medication": "naltrexone_xr", "dose_mg": "380", "orders_version": None, "other_order": "stop"},
        {**methadone(None, "45", starts_on=later), "other_order": "stop"},
    ):
        body["orders_version"] = token
        token = written(world, body)["orders_version"]
        assert token == read(world)["orders_version"]
    assert len(rows(world)) == 4


def test_a_colleagues_order_after_the_answer_makes_its_version_stale(world: World) -> None:
    token = written(world, methadone(read(world)["orders_version"], "30"))["orders_version"]
    colleague(world, "naltrexone_xr", "380")
    body = refused(world, methadone(token, "35"), 409)
    assert "the extended-release naltrexone order changed" in body["message"]  # lane words25


def test_the_answer_never_covers_an_order_written_after_the_write(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague's order lands after the write committed and before its answer is made: the answer's
    version is the one the write left (read under its lock), so writing with it is a 409, never a write over
    an order the client never saw."""
    original = services.prescribe

    def then_a_colleague(**kwargs: Any) -> MedicationOrder:
        order = original(**kwargs)
        monkeypatch.setattr(orders_api.services, "prescribe", original)
        colleague(world, "buprenorphine", "8")
        return order

    monkeypatch.setattr(orders_api.services, "prescribe", then_a_colleague)
    token = written(world, methadone(read(world)["orders_version"], "30"))["orders_version"]
    assert token != queries.orders_version(world.alice)
    refused(world, methadone(token, "35"), 409)


# An old client, a stale or ill-formed version: refused as before, nothing written


def test_an_old_client_without_the_version_still_gets_422_naming_it(world: World) -> None:
    refused(world, {"medication": "methadone", "dose_mg": "30"}, 422)
    refused(world, {"medication": "methadone", "dose_mg": "30", "order_version": 0}, 422)


def test_a_refused_write_answers_no_version(world: World) -> None:
    old = read(world)["orders_version"]
    colleague(world, "methadone", "30")
    body = refused(world, methadone(old, "35"), 409)
    assert "orders_version" not in {k for k in body if k != "errors"}


def test_a_refused_write_names_the_colleagues_order_that_changed(world: World) -> None:
    """Lane words25: beside its words the 409 names the order it stands for (`changed`), which the client
    shows before it reads the orders again; no version now (lane api24's decision, kept by the lead)."""
    old = read(world)["orders_version"]
    theirs = colleague(world, "methadone", "30")
    body = refused(world, methadone(old, "35"), 409)
    assert body["changed"]["newest_order"]["id"] == theirs.pk


# A discharge's answer


def _discharge(world: World, client: Client) -> Any:
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/discharge",
        json.dumps({"reason": "left", "ended_on": None}),
        content_type="application/json",
    )


def _readmit(world: World) -> None:
    readmit(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted(
            {"started_on": None, "episode_kind": "", "notice_given": True, "consented": True}
        ),
    )


def test_a_discharge_answers_the_version_it_left(world: World) -> None:
    colleague(world, "methadone", "30")
    before = read(world)["orders_version"]
    response = _discharge(world, sign_in(Client(), world.staff["prescriber"]))
    assert response.status_code == 200, response.content
    token = response.json()["orders_version"]
    assert token != before  # the order it stopped changed it
    assert token == queries.orders_version(world.alice)
    assert response.json()["status"] == "ended"
    _readmit(world)  # a readmission changes no order: the version stands
    assert written(world, methadone(token, "20"))["orders_version"] == read(world)["orders_version"]


def test_a_version_from_before_the_discharge_is_409(world: World) -> None:
    colleague(world, "methadone", "30")
    before = read(world)["orders_version"]
    assert _discharge(world, sign_in(Client(), world.staff["prescriber"])).status_code == 200
    _readmit(world)
    refused(world, methadone(before, "20"), 409)


def test_a_refused_discharge_writes_nothing_and_answers_no_version(world: World) -> None:
    client = sign_in(Client(), world.staff["prescriber"])
    assert _discharge(world, client).status_code == 200
    again = _discharge(world, client)  # not in care now
    assert again.status_code == 422
    assert "orders_version" not in again.json()


# The writes that change no order


def test_writes_that_change_no_order_leave_the_version(world: World) -> None:
    """Why no other write answers a version: a dose held at the window and a QTc change no order."""
    colleague(world, "methadone", "30")
    before = read(world)["orders_version"]
    nurse = sign_in(Client(), world.staff["nurse"])
    url = f"/api/v1/patients/{world.alice.pk}"
    held = nurse.post(
        f"{url}/doses", json.dumps({"sequence": 1, "sedated": True}), content_type="application/json"
    )
    assert held.status_code == 201, held.content
    assert "orders_version" not in held.json()
    qtc = nurse.post(f"{url}/qtc", json.dumps({"qtc_ms": 430}), content_type="application/json")
    assert qtc.status_code == 201, qtc.content
    assert read(world)["orders_version"] == before


# The OpenAPI document


def test_the_openapi_document_declares_the_answers_version() -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("PrescribedOut", "DischargedOut"):
        out = schemas[name]
        assert "orders_version" in out["required"], name
        assert out["properties"]["orders_version"]["type"] == "string"
        assert "next order" in out["properties"]["orders_version"]["description"]
