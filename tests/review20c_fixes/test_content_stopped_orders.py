"""Review 20c fixes (found, no test): a stopped order carries its last day, the day its episode ended
(orders stop only with discharge). One fact per assertion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import Enrollment
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.services.orders import prescribe
from tests.fhir_r4 import assert_valid_r4
from tests.review20c.conftest import world  # noqa: F401 (the fixture)

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
BASE = Base("http://testserver/fhir/R4/")


@pytest.fixture
def discharged(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    p, doc = world["patient"], world["staff"]["prescriber"]
    order = prescribe(
        by=doc, patient_id=p.pk, medication="methadone", dose_mg="60", now=NOW - timedelta(days=20)
    )
    later = prescribe(
        by=doc, patient_id=p.pk, medication="methadone", dose_mg="50", starts_on=date(2026, 11, 25), now=NOW
    )
    MedicationOrder.objects.filter(pk__in=[order.pk, later.pk]).update(status=OrderStatus.STOPPED)
    Enrollment.objects.filter(patient=p).update(
        status="ended", ended_on=date(2026, 11, 20), end_reason="left"
    )
    return {**world, "order": order, "later": later}


def _request(w: dict[str, Any], order: Any) -> dict[str, Any]:
    found = Record(w["patient"], frozenset(Area), BASE, NOW).of_type("MedicationRequest")
    return next(m for m in found if m["id"] == str(order.pk))


def test_a_stopped_order_ends_on_the_discharge_day(discharged: dict[str, Any]) -> None:
    bounds = _request(discharged, discharged["order"])["dosageInstruction"][0]["timing"]["repeat"]
    assert bounds["boundsPeriod"]["end"] == "2026-11-20"


def test_a_stopped_order_is_stopped(discharged: dict[str, Any]) -> None:
    assert _request(discharged, discharged["order"])["status"] == "stopped"


def test_a_deferred_order_stopped_before_its_day_has_no_end(discharged: dict[str, Any]) -> None:
    bounds = _request(discharged, discharged["later"])["dosageInstruction"][0]["timing"]["repeat"]
    assert "end" not in bounds["boundsPeriod"]


def test_a_stopped_order_is_valid_r4(discharged: dict[str, Any]) -> None:
    assert_valid_r4(_request(discharged, discharged["order"]))
