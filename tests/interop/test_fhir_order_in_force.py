"""Review 19c: a MedicationRequest's status is that of the order in force on the person's today: the
superseded order still in force is active, an order written to start later is active with its start day in
`dosageInstruction[0].timing.repeat.boundsPeriod.start`, and one superseded and no longer in force is
completed; in the exported record (valid R4) and in the API's answer to a new order. Riverside is New York
time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.treatment.queries import orders_version
from keel.treatment.services.orders import prescribe
from tests.conftest import PASSWORD, World, sign_in
from tests.fhir_r4 import assert_valid_r4

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in New York
START = date(2026, 12, 2)


def _orders(world: World, at: datetime = NOW) -> dict[str, dict[str, Any]]:
    with time_machine.travel(at, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/fhir/export",
            json.dumps({"password": PASSWORD, "basis": "patient_request"}),
            content_type="application/fhir+json",
        )
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    found = [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    return {r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]: r for r in found} | {
        "bundle": body
    }


@pytest.fixture
def deferred(world: World) -> World:
    doc = world.staff["prescriber"]
    with time_machine.travel(NOW, tick=False):
        prescribe(by=doc, patient_id=world.alice.pk, medication="methadone", dose_mg=60)
        prescribe(by=doc, patient_id=world.alice.pk, medication="methadone", dose_mg=90, starts_on=START)
    return world


def test_export_with_a_deferred_order_passes_the_r4_validators(deferred: World) -> None:
    assert_valid_r4(_orders(deferred)["bundle"])


def test_order_in_force_today_is_active(deferred: World) -> None:
    assert _orders(deferred)[60.0]["status"] == "active"


def test_deferred_order_is_active(deferred: World) -> None:
    assert _orders(deferred)[90.0]["status"] == "active"


def test_deferred_order_carries_its_start_day(deferred: World) -> None:
    timing = _orders(deferred)[90.0]["dosageInstruction"][0]["timing"]
    assert timing["repeat"]["boundsPeriod"]["start"] == "2026-12-02"


def test_at_2330_new_york_the_day_before_the_start_the_old_order_is_active(deferred: World) -> None:
    assert _orders(deferred, datetime(2026, 12, 2, 4, 30, tzinfo=UTC))[60.0]["status"] == "active"


def test_at_0030_new_york_on_the_start_day_the_old_order_is_completed(deferred: World) -> None:
    assert _orders(deferred, datetime(2026, 12, 2, 5, 30, tzinfo=UTC))[60.0]["status"] == "completed"


def test_api_answer_to_a_deferred_order_shows_it_active_with_its_start(world: World) -> None:
    with time_machine.travel(NOW, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        first = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=60
        )
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/orders",
            json.dumps(
                {
                    "medication": "methadone",
                    "dose_mg": 90,
                    "starts_on": "2026-12-02",
                    "order_version": first.pk,
                    "orders_version": orders_version(world.alice),
                }
            ),
            content_type="application/json",
        )
    assert response.status_code == 201, response.content[:300]
    fhir = response.json()["fhir"]
    assert (fhir["status"], fhir["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"]) == (
        "active",
        "2026-12-02",
    )
