"""Session 23 (lane api23): the API's `orders_version` covers every medication, as the medication page's
hidden fields do. An integration engineer's lost update: a client reads the person's orders at 09:00, a
colleague adds naltrexone at 09:01, the client writes methadone at 09:02 from its 09:00 picture: the
per-medication `order_version` (methadone's) was still current, so nothing told the client. Now GET
/patients/{id}/medication gives one `orders_version` for the whole picture (and each medication's
`order_versions`); the order's body must send it back; an order of any medication written or stopped since
is a 409 naming `orders_version`; missing or not one Keel gave is a 422 naming it; nothing written either
way. The page and the API read one definition (`queries.order_versions`). The PostgreSQL race is
tests/treatment/test_orders_version_race.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from keel.patients.models import local_today
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.patients.services.episodes import discharge, readmit
from keel.treatment import queries, services
from keel.treatment.models import Medication, MedicationOrder
from keel.treatment.services.fills import record_fill, void_fill
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def _client(world: World) -> Client:
    return sign_in(Client(), world.staff["prescriber"])


def read(world: World) -> dict[str, Any]:
    """GET the person's medication record as an API client does."""
    response = _client(world).get(f"/api/v1/patients/{world.alice.pk}/medication")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def post(world: World, body: dict[str, Any], language: str = "en") -> Any:
    return _client(world).post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        json.dumps(body),
        content_type="application/json",
        headers={"accept-language": language},
    )


def colleague(world: World, medication: str, mg: str) -> MedicationOrder:
    """Another prescriber's order, written from a current read (the page's service call)."""
    return services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication=medication,
        dose_mg=mg,
        orders_version=queries.orders_version(world.alice),
    )


def rows(world: World) -> list[tuple[int, str, str, str]]:
    return [
        (o.pk, o.medication, f"{o.dose_mg.normalize():f}", o.status)
        for o in MedicationOrder.objects.filter(patient=world.alice).order_by("id")
    ]


def methadone(token: object, mg: object = "40", **more: Any) -> dict[str, Any]:
    return {"medication": "methadone", "dose_mg": mg, "orders_version": token, **more}


def refused_409(world: World, body: dict[str, Any]) -> dict[str, Any]:
    before = rows(world)
    response = post(world, body)
    assert response.status_code == 409, response.content
    assert rows(world) == before  # nothing written
    out: dict[str, Any] = response.json()
    assert [e["field"] for e in out["errors"]] == ["orders_version"]
    return out


def refused_422(world: World, body: dict[str, Any], field: str = "orders_version") -> dict[str, Any]:
    before = rows(world)
    response = post(world, body)
    assert response.status_code == 422, response.content
    assert rows(world) == before
    out: dict[str, Any] = response.json()
    assert [e["field"] for e in out["errors"]] == [field]
    return out


# What GET gives


def test_get_gives_one_orders_version_and_each_medications(world: World) -> None:
    body = read(world)
    assert isinstance(body["orders_version"], str) and body["orders_version"]
    assert body["order_versions"] == {m: 0 for m in Medication.values}


def test_get_gives_the_per_medication_versions_the_write_compares(world: World) -> None:
    first = colleague(world, "methadone", "30")
    assert read(world)["order_versions"]["methadone"] == first.pk


# Two clients, the brief's lost update


def test_a_client_that_read_before_a_naltrexone_order_cannot_write_methadone(world: World) -> None:
    colleague(world, "methadone", "30")
    at_0900 = read(world)
    colleague(world, "naltrexone_xr", "380")  # 09:01
    body = refused_409(  # 09:02, from the 09:00 picture; its methadone version is still current
        world,
        methadone(at_0900["orders_version"], order_version=at_0900["order_versions"]["methadone"]),
    )
    assert "the extended-release naltrexone order changed" in body["message"]  # lane words25


def test_the_second_client_rereads_and_writes(world: World) -> None:
    colleague(world, "methadone", "30")
    stale_read = read(world)
    colleague(world, "naltrexone_xr", "380")
    refused_409(world, methadone(stale_read["orders_version"]))
    # lane switch39: naltrexone is active: the prescriber's choice
    assert post(world, methadone(read(world)["orders_version"], other_order="stop")).status_code == 201


def test_a_third_medication_written_since_refuses_the_write(world: World) -> None:
    colleague(world, "methadone", "30")
    colleague(world, "naltrexone_xr", "380")
    before = read(world)
    colleague(world, "buprenorphine", "8")
    refused_409(world, {"medication": "naltrexone_xr", "dose_mg": "380", **_v(before)})


def _v(body: dict[str, Any]) -> dict[str, Any]:
    return {"orders_version": body["orders_version"]}


def test_the_409_is_in_spanish_for_a_spanish_request(world: World) -> None:
    before = read(world)
    colleague(world, "buprenorphine", "8")
    response = post(world, methadone(before["orders_version"]), "es")
    assert response.status_code == 409
    assert "No se guardó: la orden de buprenorfina cambió" in response.json()["message"]  # lane words25


# A stop, a void, the same mg again, a replay


def _discharge_and_readmit(world: World) -> None:
    pr, alice = world.staff["prescriber"], world.alice
    discharge(by=pr, patient_id=alice.pk, data=DischargeIn.posted({"reason": "left", "ended_on": None}))
    readmit(
        by=pr,
        patient_id=alice.pk,
        data=ReadmissionIn.posted(
            {"started_on": None, "episode_kind": "", "notice_given": True, "consented": True}
        ),
    )


def test_a_stopped_order_of_another_medication_refuses_the_write(world: World) -> None:
    colleague(world, "buprenorphine", "8")
    before = read(world)
    _discharge_and_readmit(world)  # stops the buprenorphine order: no new order row
    refused_409(world, methadone(before["orders_version"]))


def test_a_voided_fill_is_not_an_order_change(world: World) -> None:
    """Keel voids no order (an order is active, superseded or stopped); a fill of it voided changes no order
    the writer could undo, so the version stays and the write goes through."""
    order = colleague(world, "buprenorphine", "8")
    nurse = world.staff["nurse"]
    today = local_today(world.alice).isoformat()
    fill = record_fill(
        by=nurse,
        patient_id=world.alice.pk,
        order_id=order.pk,
        filled_on=today,
        days_supply=7,
        source="pharmacy",
    )
    before = read(world)
    void_fill(by=nurse, patient_id=world.alice.pk, fill_id=fill.pk, reason="entered twice")
    assert read(world)["orders_version"] == before["orders_version"]
    # lane switch39: buprenorphine is active: the prescriber's choice
    assert post(world, methadone(before["orders_version"], other_order="stop")).status_code == 201


def test_an_order_rewritten_at_the_same_mg_refuses_the_write(world: World) -> None:
    colleague(world, "methadone", "30")
    colleague(world, "buprenorphine", "8")
    before = read(world)
    colleague(world, "buprenorphine", "8")  # the same dose again: a new order all the same
    refused_409(world, methadone(before["orders_version"]))


def test_an_order_written_to_start_later_refuses_the_write(world: World) -> None:
    colleague(world, "buprenorphine", "8")
    before = read(world)
    services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="6",
        starts_on=local_today(world.alice) + timedelta(days=1),
        orders_version=queries.orders_version(world.alice),
    )
    refused_409(world, methadone(before["orders_version"]))


def test_a_replayed_body_writes_once(world: World) -> None:
    body = methadone(read(world)["orders_version"])
    assert post(world, body).status_code == 201
    refused_409(world, body)


def test_an_old_version_replayed_after_a_newer_write_is_refused(world: World) -> None:
    oldest = read(world)["orders_version"]
    assert post(world, methadone(oldest, "30")).status_code == 201
    newer = read(world)["orders_version"]
    assert post(world, methadone(newer, "35")).status_code == 201
    refused_409(world, methadone(oldest, "35"))
    refused_409(world, methadone(newer, "40"))


# Another person's version


def test_a_version_of_another_persons_orders_is_refused(world: World) -> None:
    colleague(world, "methadone", "30")
    body = refused_422(world, methadone(queries.orders_version(world.bob)))
    assert "another person" in body["errors"][0]["reason"]


def test_another_persons_version_is_refused_even_when_their_orders_look_alike(world: World) -> None:
    """Neither has an order: the per-medication numbers are the same (all 0), the person is not (Bob's
    version as a client that may read him, another team's, read it)."""
    assert queries.order_versions(world.bob) == read(world)["order_versions"]
    refused_422(world, methadone(queries.orders_version(world.bob)))


# Missing or ill-formed: 422 naming the field


def test_an_old_client_that_sends_only_order_version_is_told_422(world: World) -> None:
    """Not silently served the weaker guarantee: the field it must now send is named."""
    refused_422(world, {"medication": "methadone", "dose_mg": "30", "order_version": 0})


@pytest.mark.parametrize(
    "bad", [-1, "-1", "abc", 1.5, "1.5", "", " ", None, True, 0, "0", "١٢", "0-0-0", "0-0-0-0-0-0"]
)
def test_an_ill_formed_orders_version_is_422_naming_it(world: World, bad: object) -> None:
    refused_422(world, methadone(bad))


def test_a_current_version_with_spaces_or_leading_zeros_is_not_one_keel_gave(world: World) -> None:
    token = read(world)["orders_version"]
    refused_422(world, methadone(f" {token} "))
    refused_422(world, methadone("0" + token))


def test_the_422_says_where_to_read_it(world: World) -> None:
    body = refused_422(world, methadone("abc"))
    assert "orders_version" in body["errors"][0]["reason"] or "read" in body["errors"][0]["reason"]


def test_the_422_is_in_spanish_for_a_spanish_request(world: World) -> None:
    response = post(world, methadone("abc"), "es")
    assert response.status_code == 422
    assert "versión" in response.json()["errors"][0]["reason"]


# The per-medication field, still valid beside it


def test_order_version_beside_a_current_orders_version_writes(world: World) -> None:
    first = colleague(world, "methadone", "30")
    body = read(world)
    assert post(world, methadone(body["orders_version"], order_version=first.pk)).status_code == 201


def test_a_stale_order_version_beside_a_current_orders_version_is_409_naming_it(world: World) -> None:
    first = colleague(world, "methadone", "30")
    colleague(world, "methadone", "35")
    before = rows(world)
    response = post(world, methadone(read(world)["orders_version"], order_version=first.pk))
    assert response.status_code == 409
    assert [e["field"] for e in response.json()["errors"]] == ["order_version"]
    assert rows(world) == before


@pytest.mark.parametrize("bad", [-1, "3", 1.5, True, None])
def test_an_ill_formed_order_version_beside_it_is_422_naming_it(world: World, bad: object) -> None:
    refused_422(world, methadone(read(world)["orders_version"], order_version=bad), "order_version")


def test_the_version_after_a_write_writes_again(world: World) -> None:
    assert post(world, methadone(read(world)["orders_version"], "30")).status_code == 201
    assert post(world, methadone(read(world)["orders_version"], "35")).status_code == 201
    assert [r[2] for r in rows(world)] == ["30", "35"]


# A write landing between the GET's reads


def _write_between_the_reads(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A colleague's naltrexone order lands just after the record read the versions, before its orders."""
    from keel.treatment.queries import record

    original = record.order_versions

    def then_a_write(patient: Any) -> dict[str, int]:
        versions = original(patient)
        monkeypatch.setattr(record, "order_versions", original)
        colleague(world, "naltrexone_xr", "380")
        return versions

    monkeypatch.setattr(record, "order_versions", then_a_write)


def test_an_order_written_while_the_api_reads_leaves_the_version_stale(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The version is read before the orders it stands for: an order written between the two reads makes
    the version older than the orders shown (a needless 409), never newer (a lost update)."""
    _write_between_the_reads(world, monkeypatch)
    body = read(world)
    assert "naltrexone_xr" in {o["medication"] for o in body["orders"]}
    assert body["order_versions"]["naltrexone_xr"] == 0
    refused_409(world, methadone(body["orders_version"]))


def test_an_order_written_while_the_page_reads_leaves_its_versions_stale(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_between_the_reads(world, monkeypatch)
    shown = _page_versions(world)
    assert shown["naltrexone_xr"] == 0
    data = {
        "medication": "methadone",
        "dose_mg": "30",
        **{f"order_version_{m}": str(v) for m, v in shown.items()},
    }
    before = rows(world)
    response = _client(world).post(reverse("treatment:create_order", args=[world.alice.pk]), data)
    assert response.status_code == 409
    assert rows(world) == before


# The OpenAPI document


def test_the_openapi_document_requires_orders_version_with_a_description() -> None:
    schemas = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    order_in = schemas["OrderIn"]
    assert "orders_version" in order_in["required"]
    assert order_in["properties"]["orders_version"]["type"] == "string"
    assert "every medication" in order_in["properties"]["orders_version"]["description"]
    assert "order_version" not in order_in["required"]
    assert order_in["properties"]["order_version"]["description"]
    record = schemas["MedicationRecordOut"]["properties"]
    assert record["orders_version"]["description"]
    assert record["order_versions"]["description"]


# The page and the API read one definition


def _page_versions(world: World) -> dict[str, int]:
    body = _client(world).get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    return {m: int(v) for m, v in re.findall(r'name="order_version_(\w+)" value="(\d+)"', body)}


def test_the_page_and_the_api_read_one_definition(world: World) -> None:
    """At each step the page's hidden fields, the API's `order_versions` and what its `orders_version`
    stands for are `queries.order_versions`, the one definition."""
    steps = [
        lambda: None,
        lambda: colleague(world, "methadone", "30"),
        lambda: colleague(world, "naltrexone_xr", "380"),
        lambda: colleague(world, "methadone", "30"),
        lambda: _discharge_and_readmit(world),
        lambda: colleague(world, "buprenorphine", "8"),
    ]
    seen = set()
    for step in steps:
        step()
        definition = queries.order_versions(world.alice)
        body = read(world)
        assert _page_versions(world) == definition
        assert body["order_versions"] == definition
        assert body["orders_version"] == queries.orders_version(world.alice)
        assert queries.orders_version(world.alice, definition) == body["orders_version"]
        seen.add(body["orders_version"])
    assert len(seen) == len(steps)  # every change moved it


def test_a_page_read_and_an_api_read_of_the_same_picture_agree(world: World) -> None:
    """The API's token built from the page's hidden fields is the API's token: nothing else goes in."""
    colleague(world, "methadone", "30")
    colleague(world, "buprenorphine", "8")
    assert queries.orders_version(world.alice, _page_versions(world)) == read(world)["orders_version"]
