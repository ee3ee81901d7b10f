"""Review 19a: the order in force on a day is one definition (`keel.treatment.models`: `IN_FORCE_SQL`,
`in_force_q`, `order_in_force`). An order written to start next Monday supersedes the current one when it is
written, but the current one governs every day until Monday, in the program's zone; on Monday the new one
does. The dose, the injection, the dosing list and row all read it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from keel.patients.models import local_today
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.patients.services.episodes import discharge, readmit
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder, OrderStatus, in_force_q, order_in_force
from keel.treatment.queries import dosing_list, dosing_row
from keel.treatment.queries.orders import active_order
from keel.treatment.services import prescribe, record_dose, record_injection

pytestmark = pytest.mark.django_db
THURSDAY = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York)
MONDAY = date(2026, 12, 7)
SUNDAY_LATE = datetime(2026, 12, 7, 4, 30, tzinfo=UTC)  # 23:30 Sunday in Riverside, Monday in UTC
MONDAY_EARLY = datetime(2026, 12, 7, 5, 30, tzinfo=UTC)  # 00:30 Monday in Riverside


def _forty_then_fifty_from_monday(world: Any) -> tuple[MedicationOrder, MedicationOrder]:
    prescriber = world.staff["prescriber"]
    forty = prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="40",
        now=THURSDAY - timedelta(days=10),
    )
    fifty = prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="50",
        starts_on=MONDAY,
        now=THURSDAY,
    )
    return forty, fifty


def _the_three_reads(world: Any, day: date) -> list[int | None]:
    orders = MedicationOrder.objects.filter(patient=world.alice, medication="methadone")
    in_sql = active_order(world.alice, "methadone", day)
    in_orm = orders.filter(in_force_q(day)).first()
    in_python = order_in_force(list(orders), day)
    return [o.pk if o else None for o in (in_sql, in_orm, in_python)]


def test_writing_the_next_step_supersedes_the_current_order_at_once(world: Any) -> None:
    forty, fifty = _forty_then_fifty_from_monday(world)
    forty.refresh_from_db()
    assert (forty.status, fifty.status, fifty.supersedes_id) == (OrderStatus.SUPERSEDED, "active", forty.pk)


def test_the_order_written_to_start_later_is_marked_deferred(world: Any) -> None:
    forty, fifty = _forty_then_fifty_from_monday(world)
    assert (forty.deferred, fifty.deferred) == (False, True)


def test_the_current_order_stays_in_force_until_the_new_one_starts(world: Any) -> None:
    forty, _ = _forty_then_fifty_from_monday(world)
    assert _the_three_reads(world, date(2026, 12, 3)) == [forty.pk] * 3
    assert _the_three_reads(world, date(2026, 12, 6)) == [forty.pk] * 3


def test_the_new_order_is_in_force_from_its_start_day(world: Any) -> None:
    _, fifty = _forty_then_fifty_from_monday(world)
    assert _the_three_reads(world, MONDAY) == [fifty.pk] * 3


def test_todays_dose_is_given_against_the_order_in_force_today(world: Any) -> None:
    forty, _ = _forty_then_fifty_from_monday(world)
    with time_machine.travel(THURSDAY, tick=False):
        outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
    assert outcome.dose.order_id == forty.pk


def test_sunday_late_evening_in_the_programs_zone_is_still_the_old_order(world: Any) -> None:
    forty, _ = _forty_then_fifty_from_monday(world)
    with time_machine.travel(SUNDAY_LATE, tick=False):
        today = local_today(world.alice)
        outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
    assert today == date(2026, 12, 6)
    assert outcome.dose.order_id == forty.pk


def test_on_the_start_day_in_the_programs_zone_the_new_order_governs_the_dose(world: Any) -> None:
    _, fifty = _forty_then_fifty_from_monday(world)
    with time_machine.travel(MONDAY_EARLY, tick=False):
        outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30")
    assert outcome.dose.order_id == fifty.pk


def test_a_newer_order_starting_today_replaces_both(world: Any) -> None:
    _forty_then_fifty_from_monday(world)
    fortyfive = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="45",
        now=THURSDAY + timedelta(hours=1),
    )
    assert _the_three_reads(world, date(2026, 12, 3)) == [fortyfive.pk] * 3
    assert _the_three_reads(world, MONDAY) == [fortyfive.pk] * 3


def test_the_dosing_list_and_row_show_the_order_in_force_today(world: Any) -> None:
    forty, _ = _forty_then_fifty_from_monday(world)
    nurse = world.staff["nurse"]
    with time_machine.travel(THURSDAY, tick=False):
        listed = [r.order.pk for r in dosing_list(nurse, medication="methadone") if r.patient == world.alice]
        row = dosing_row(nurse, patient_id=world.alice.pk, medication="methadone")
    assert listed == [forty.pk]
    assert row is not None and row.order.pk == forty.pk


def test_a_first_order_starting_monday_puts_no_one_on_todays_list(world: Any) -> None:
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        starts_on=MONDAY,
        now=THURSDAY,
    )
    nurse = world.staff["nurse"]
    with time_machine.travel(THURSDAY, tick=False):
        listed = [r for r in dosing_list(nurse, medication="methadone") if r.patient == world.alice]
        row = dosing_row(nurse, patient_id=world.alice.pk, medication="methadone")
        with pytest.raises(TreatmentInvalid):
            record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="30")
    assert (listed, row) == ([], None)


def test_a_naltrexone_order_starting_monday_gives_no_injection_today(world: Any) -> None:
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="naltrexone_xr",
        dose_mg="380",
        starts_on=MONDAY,
        now=THURSDAY,
    )
    with time_machine.travel(THURSDAY, tick=False), pytest.raises(TreatmentInvalid) as caught:
        record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal")
    assert [e.field for e in caught.value.errors] == ["order"]


def test_a_discharge_stops_the_old_order_still_in_force_so_a_readmission_has_none(world: Any) -> None:
    forty, _ = _forty_then_fifty_from_monday(world)
    prescriber = world.staff["prescriber"]
    with time_machine.travel(THURSDAY, tick=False):
        discharge(by=prescriber, patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"}))
        readmit(
            by=prescriber,
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
    forty.refresh_from_db()
    assert forty.status == OrderStatus.STOPPED
    assert _the_three_reads(world, date(2026, 12, 3)) == [None] * 3
    assert _the_three_reads(world, MONDAY) == [None] * 3


def test_the_dose_api_records_todays_dose_against_the_order_in_force_today(world: Any) -> None:
    from django.test import Client

    from keel.treatment.models import DoseRecord
    from tests.conftest import sign_in

    forty, _ = _forty_then_fifty_from_monday(world)
    with time_machine.travel(THURSDAY, tick=False):
        nurse = sign_in(Client(), world.staff["nurse"])
        response = nurse.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "30", "sequence": 1}),
            content_type="application/json",
        )
    assert response.status_code == 201
    assert DoseRecord.objects.get(patient=world.alice).order_id == forty.pk
