"""Review 20c fixes: methadone take-home bottles as MedicationDispense (one per bottle day the person was
given), in the record, `$everything`, read and search, valid FHIR R4. One fact per assertion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import Enrollment
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.services.orders import prescribe
from tests.fhir_r4 import assert_valid_r4
from tests.review20c.conftest import bearer, world  # noqa: F401 (the fixture)
from tests.review20c.test_holes import _consent

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 10:00 on 20 November in Los Angeles
BASE = Base("http://testserver/fhir/R4/")
TODAY = date(2026, 11, 20)


def _order(w: dict[str, Any], mg: str = "60") -> MedicationOrder:
    return prescribe(
        by=w["staff"]["prescriber"],
        patient_id=w["patient"].pk,
        medication="methadone",
        dose_mg=mg,
        now=NOW - timedelta(days=40),
    )


def _plan(w: dict[str, Any], days: list[date], decided: datetime, **extra: Any) -> TakeHomePlan:
    return TakeHomePlan.objects.create(
        patient=w["patient"],
        decided_by=w["staff"]["prescriber"],
        decided_at=decided,
        days_in_treatment=40,
        criteria={},
        decision={"decision": "allowed", "reasons": []},
        max_supply_days=len(days),
        bottles=[d.isoformat() for d in days],
        **extra,
    )


def _dose(w: dict[str, Any], order: MedicationOrder, day: date) -> DoseRecord:
    at = datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles
    return DoseRecord.objects.create(
        patient=w["patient"],
        order=order,
        medication="methadone",
        local_date=day,
        sequence=1,
        status="given",
        amount_mg=order.dose_mg,
        treatment_day=30,
        decision={},
        recorded_by=w["staff"]["nurse"],
        recorded_at=at,
    )


def _dispenses(w: dict[str, Any], now: datetime = NOW) -> dict[str, dict[str, Any]]:
    found = Record(w["patient"], frozenset(Area), BASE, now).of_type("MedicationDispense")
    return {d["dosageInstruction"][0]["timing"]["event"][0]: d for d in found}


@pytest.fixture
def weekend(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """Saturday and Sunday bottles handed out at Friday's observed dose (Friday 13 November)."""
    order = _order(world)
    friday = date(2026, 11, 13)
    _dose(world, order, friday)
    plan = _plan(world, [friday + timedelta(days=1), friday + timedelta(days=2)], NOW - timedelta(days=10))
    return {**world, "order": order, "plan": plan, "sat": "2026-11-14", "sun": "2026-11-15"}


def test_a_bottle_handed_out_is_completed(weekend: dict[str, Any]) -> None:
    assert _dispenses(weekend)[weekend["sun"]]["status"] == "completed"


def test_a_bottle_handed_out_says_the_day_it_went_home(weekend: dict[str, Any]) -> None:
    assert _dispenses(weekend)[weekend["sun"]]["whenHandedOver"] == "2026-11-13"


def test_a_bottle_names_the_order_in_force(weekend: dict[str, Any]) -> None:
    refs = _dispenses(weekend)[weekend["sun"]]["authorizingPrescription"]
    assert refs == [{"reference": f"MedicationRequest/{weekend['order'].pk}"}]


def test_a_bottle_carries_the_dose(weekend: dict[str, Any]) -> None:
    dose = _dispenses(weekend)[weekend["sun"]]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert dose["value"] == 60.0


def test_a_bottle_is_one_days_supply(weekend: dict[str, Any]) -> None:
    assert _dispenses(weekend)[weekend["sun"]]["daysSupply"]["value"] == 1


def test_a_returned_bottle_is_stopped(weekend: dict[str, Any]) -> None:
    weekend["plan"].returned_days = [weekend["sun"]]
    weekend["plan"].save()
    assert _dispenses(weekend)[weekend["sun"]]["status"] == "stopped"


def test_a_returned_bottle_says_why(weekend: dict[str, Any]) -> None:
    weekend["plan"].returned_days = [weekend["sun"]]
    weekend["plan"].save()
    assert "brought back" in _dispenses(weekend)[weekend["sun"]]["statusReasonCodeableConcept"]["text"]


def test_a_bottle_whose_hand_out_dose_was_voided_is_not_completed(weekend: dict[str, Any]) -> None:
    dose = DoseRecord.objects.get(patient=weekend["patient"])
    DoseAmendment.objects.create(
        dose=dose, voided=True, reason="wrong person", amended_by=weekend["staff"]["nurse"], amended_at=NOW
    )
    assert _dispenses(weekend)[weekend["sun"]]["status"] == "unknown"


def test_a_future_bottle_of_a_standing_plan_is_in_preparation(world: dict[str, Any]) -> None:  # noqa: F811
    _order(world)
    _plan(world, [TODAY + timedelta(days=2)], NOW - timedelta(days=1))
    assert _dispenses(world)["2026-11-22"]["status"] == "preparation"


def test_an_ended_plans_bottle_never_handed_out_is_cancelled(weekend: dict[str, Any]) -> None:
    """Review 23a hole 1 (was: absent): sent as `preparation` while the plan stood, it stays in the export
    under the same id, `cancelled`, so a system that upserts by id is told it will never go home."""
    plan = weekend["plan"]
    plan.bottles = [*plan.bottles, "2026-11-21", "2026-11-22"]
    plan.ended_on = date(2026, 11, 19)
    plan.ended_at = NOW - timedelta(days=1)
    plan.ended_by = weekend["staff"]["prescriber"]
    plan.end_reason = "relapse"
    plan.save()
    assert _dispenses(weekend)["2026-11-21"]["status"] == "cancelled"


def test_an_ended_plans_bottle_handed_out_before_the_end_stays(weekend: dict[str, Any]) -> None:
    plan = weekend["plan"]
    plan.ended_on = date(2026, 11, 13)
    plan.ended_at = datetime(2026, 11, 13, 20, 0, tzinfo=UTC)  # after Friday's dose
    plan.ended_by = weekend["staff"]["prescriber"]
    plan.end_reason = "relapse"
    plan.save()
    assert _dispenses(weekend)[weekend["sun"]]["status"] == "completed"


def test_a_readmission_keeps_the_first_episodes_bottles(weekend: dict[str, Any]) -> None:
    first = Enrollment.objects.get(patient=weekend["patient"])
    Enrollment.objects.filter(pk=first.pk).update(
        status="ended", ended_on=date(2026, 11, 16), end_reason="left"
    )
    plan = weekend["plan"]
    plan.enrollment, plan.ended_on = first, date(2026, 11, 16)
    plan.save()
    Enrollment.objects.create(patient=weekend["patient"], program=weekend["program"], started_on=TODAY)
    assert weekend["sat"] in _dispenses(weekend)


def test_a_bottle_is_in_everything(weekend: dict[str, Any]) -> None:
    found = Record(weekend["patient"], frozenset(Area), BASE, NOW).everything()
    assert any(x["resourceType"] == "MedicationDispense" for x in found)


def test_a_bottle_is_valid_r4(weekend: dict[str, Any]) -> None:
    assert_valid_r4(_dispenses(weekend)[weekend["sun"]])


def test_a_returned_bottle_is_valid_r4(weekend: dict[str, Any]) -> None:
    weekend["plan"].returned_days = [weekend["sun"]]
    weekend["plan"].save()
    assert_valid_r4(_dispenses(weekend)[weekend["sun"]])


def test_bottles_are_searchable_by_patient(weekend: dict[str, Any]) -> None:
    c = _consent(weekend)
    r = bearer(weekend["staff"]["prescriber"]).get(
        f"/fhir/R4/MedicationDispense?patient={weekend['patient'].pk}", HTTP_KEEL_CONSENT=str(c.pk)
    )
    assert r.json()["total"] == 2


def test_a_bottle_is_read_by_id(weekend: dict[str, Any]) -> None:
    c = _consent(weekend)
    rid = f"bottle-{weekend['plan'].pk}-20261115"
    r = bearer(weekend["staff"]["prescriber"]).get(
        f"/fhir/R4/MedicationDispense/{rid}", HTTP_KEEL_CONSENT=str(c.pk)
    )
    assert r.status_code == 200


def test_another_programs_person_is_never_searched(weekend: dict[str, Any]) -> None:
    foreign = weekend["foreign"]
    _plan({**weekend, "patient": foreign}, [TODAY], NOW - timedelta(days=1))
    r = bearer(weekend["staff"]["prescriber"]).get(f"/fhir/R4/MedicationDispense?patient={foreign.pk}")
    assert r.status_code in (403, 404, 422)


def test_another_programs_bottle_is_never_read(weekend: dict[str, Any]) -> None:
    foreign = weekend["foreign"]
    plan = _plan({**weekend, "patient": foreign}, [TODAY], NOW - timedelta(days=1))
    c = _consent(weekend)
    r = bearer(weekend["staff"]["prescriber"]).get(
        f"/fhir/R4/MedicationDispense/bottle-{plan.pk}-20261120", HTTP_KEEL_CONSENT=str(c.pk)
    )
    assert r.status_code == 404


def test_the_capability_statement_lists_medication_dispense(client: Any) -> None:
    body = client.get("/fhir/R4/metadata").json()
    assert "MedicationDispense" in [x["type"] for x in body["rest"][0]["resource"]]
