"""Review 18a, the other routes to the same actions: another medication's hold, the hold's day in the
program's zone, the API, a reason of substance, the policy's recent window, a lowering (still allowed)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel.assessments.services import submit_assessment
from keel.audit.models import AuditEvent
from keel.core.rules.buprenorphine import HOME_READY
from keel.core.rules.window import HOLD_OPEN
from keel.patients.models import FlagKind, PatientFlag
from keel.patients.services.flags import resolve_flag
from keel.treatment import readiness
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseStatus, Medication, MedicationOrder, OrderStatus
from keel.treatment.queries import order_version, orders_version
from keel.treatment.services import last_use
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import sign_in
from tests.factories import methadone_with_qtc, page_versions

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("America/New_York")
REASON = "cardiology reviewed the ECG today and agrees with the raise"


# --- The home start: the window's hold, whatever the medication and the clock's zone ---


def _home_start_after_hold(world: Any, medication: str, held_at: datetime, asked_at: datetime) -> Any:
    prescriber, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    with time_machine.travel(held_at - timedelta(hours=3), tick=False):
        prescribe(
            by=prescriber,
            patient_id=alice.pk,
            medication=Medication.BUPRENORPHINE,
            dose_mg="4",
            home_start=True,
        )
        if medication == Medication.METHADONE:
            prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="30")
        last_use.record_last_use(
            by=alice.user,
            patient_id=None,
            raw={
                "opioids": [{"opioid": "heroin", "last_use_at": (held_at - timedelta(hours=30)).isoformat()}]
            },
        )
    with time_machine.travel(held_at, tick=False):
        held = record_dose(by=nurse, patient_id=alice.pk, medication=medication, sedated=True)
    assert held.dose.status == DoseStatus.HELD
    with time_machine.travel(asked_at, tick=False):
        submit_assessment(
            by=alice.user, patient_id=None, instrument="sows", answers={f"sows_{i}": 2 for i in range(1, 17)}
        )
        return readiness.home_start(alice.user)


def test_a_methadone_hold_today_stops_the_buprenorphine_home_start(world: Any) -> None:
    held_at = datetime(2026, 11, 18, 9, 0, tzinfo=ZONE)
    home = _home_start_after_hold(world, Medication.METHADONE, held_at, held_at + timedelta(hours=1))
    assert home.decision is not None and home.decision.decision == HOLD_OPEN
    assert "care team" in " ".join(r.text for r in home.decision.reasons)


def test_a_hold_late_in_the_evening_counts_on_the_programs_day_not_utc(world: Any) -> None:
    held_at = datetime(2026, 11, 18, 23, 0, tzinfo=ZONE)  # 04:00 UTC on the 19th
    home = _home_start_after_hold(world, Medication.BUPRENORPHINE, held_at, held_at + timedelta(minutes=50))
    assert home.decision is not None and home.decision.decision == HOLD_OPEN


def test_the_home_start_api_says_the_same_after_a_hold(world: Any) -> None:
    held_at = datetime(2026, 11, 18, 9, 0, tzinfo=ZONE)
    _home_start_after_hold(world, Medication.BUPRENORPHINE, held_at, held_at + timedelta(hours=1))
    with time_machine.travel(held_at + timedelta(hours=1), tick=False):
        client = sign_in(Client(), world.alice.user)
        response = client.get("/api/v1/me/home-start")
    if response.status_code == 404:
        pytest.skip("no home-start API route at this path")
    assert response.status_code == 200
    assert response.json()["decision"]["decision"] != HOME_READY


def test_a_released_hold_no_longer_stops_the_home_start(world: Any) -> None:
    held_at = datetime(2026, 11, 18, 9, 0, tzinfo=ZONE)
    _home_start_after_hold(world, Medication.BUPRENORPHINE, held_at, held_at + timedelta(minutes=30))
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD)
    with time_machine.travel(held_at + timedelta(minutes=40), tick=False):
        resolve_flag(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            flag_id=flag.pk,
            note="assessed: alert now",
        )
    with time_machine.travel(held_at + timedelta(hours=1), tick=False):
        home = readiness.home_start(world.alice.user)
    assert home.decision is not None and home.decision.decision != HOLD_OPEN


# --- A QTc of 500 ms or more and a raise of the methadone order ---


def test_the_order_api_refuses_the_raise_with_a_422_naming_the_qtc_and_its_source(world: Any) -> None:
    methadone_with_qtc(world, 520)
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/orders",
        json.dumps(
            {
                "medication": "methadone",
                "dose_mg": "100",
                "order_version": order_version(world.alice, "methadone"),
                "orders_version": orders_version(world.alice),
            }
        ),
        "application/json",
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "override_reason"
    assert "520" in str(error) and "krantz-2009" in str(error)
    active = MedicationOrder.objects.get(
        patient=world.alice, medication="methadone", status=OrderStatus.ACTIVE
    )
    assert active.dose_mg == 80


def test_a_raise_with_a_reason_of_substance_is_saved_and_audited_as_an_override(world: Any) -> None:
    methadone_with_qtc(world, 520)
    with pytest.raises(TreatmentInvalid):
        prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="methadone",
            dose_mg="100",
            override_reason="ok ok ok",
        )
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="100",
        override_reason=REASON,
    )
    assert REASON in order.note
    event = AuditEvent.objects.filter(target_type="medication_order", target_id=str(order.pk)).get()
    assert event.reason == "raised on a QTc of 500 ms or more: prescriber's reason"


def test_a_lowering_and_the_same_dose_need_no_reason_on_a_high_qtc(world: Any) -> None:
    methadone_with_qtc(world, 540, taken=True)
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80")
    lower = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="60"
    )
    assert lower.dose_mg == 60


def test_a_qtc_of_exactly_500_gates_the_raise_and_470_does_not(world: Any) -> None:
    # review 20a: of one measured day the highest reading stands, so the repeat ECG is of the next day
    methadone_with_qtc(world, 500, measured_on=datetime.now(ZONE).date() - timedelta(days=1))
    with pytest.raises(TreatmentInvalid):
        prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="90"
        )
    record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=470)  # a newer ECG, today
    assert (
        prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="90"
        ).dose_mg
        == 90
    )


def test_a_qtc_older_than_the_programs_recent_window_cleared_by_a_newer_ecg_gates_nothing(world: Any) -> None:
    """Review 22m: a QTc of 500 ms or more stays in force whatever its age until a newer ECG clears it."""
    today = datetime.now(ZONE).date()
    methadone_with_qtc(world, 520, measured_on=today - timedelta(days=40))  # default policy: 30 days
    record_qtc(
        by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=440, measured_on=today - timedelta(days=31)
    )
    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="90"
    )
    assert order.dose_mg == 90


def test_a_high_qtc_does_not_gate_a_buprenorphine_order(world: Any) -> None:
    methadone_with_qtc(world, 520)
    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg="16"
    )
    assert order.dose_mg == 16


# --- A correction up while a hold of that day stands ---


def _given_then_held(world: Any, held_medication: str) -> Any:
    alice, nurse, prescriber = world.alice, world.staff["nurse"], world.staff["prescriber"]
    day1 = datetime(2026, 11, 16, 10, 0, tzinfo=ZONE)
    prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="30", now=day1)
    record_dose(by=nurse, patient_id=alice.pk, medication=Medication.METHADONE, amount_mg="30", now=day1)
    morning = datetime(2026, 11, 17, 8, 0, tzinfo=ZONE)
    prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="40", now=morning)
    if held_medication == Medication.BUPRENORPHINE:
        prescribe(by=prescriber, patient_id=alice.pk, medication=held_medication, dose_mg="4", now=morning)
    given = record_dose(
        by=nurse,
        patient_id=alice.pk,
        medication=Medication.METHADONE,
        amount_mg="30",
        now=morning + timedelta(hours=1),
    )
    held = record_dose(
        by=nurse,
        patient_id=alice.pk,
        medication=held_medication,
        sedated=True,
        now=morning + timedelta(hours=3),
    )
    assert held.dose.status == DoseStatus.HELD
    return given.dose


def test_a_buprenorphine_hold_stops_raising_the_methadone_dose_of_that_day(world: Any) -> None:
    given = _given_then_held(world, Medication.BUPRENORPHINE)
    with pytest.raises(TreatmentInvalid) as raised:
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg="40",
            reason="rest of today's dose, entered short",
            now=datetime(2026, 11, 17, 11, 5, tzinfo=ZONE),
        )
    assert "held" in raised.value.errors[0].reason


def test_a_correction_the_next_morning_still_meets_that_days_hold(world: Any) -> None:
    given = _given_then_held(world, Medication.METHADONE)
    with pytest.raises(TreatmentInvalid):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=given.pk,
            corrected_mg="35",
            reason="rest of yesterday's dose, entered short",
            now=datetime(2026, 11, 18, 0, 30, tzinfo=ZONE),
        )


def test_a_correction_down_stays_allowed_while_the_hold_stands(world: Any) -> None:
    given = _given_then_held(world, Medication.METHADONE)
    amendment = amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=given.pk,
        corrected_mg="25",
        reason="entered 30 but 25 was poured and given",
        now=datetime(2026, 11, 17, 11, 5, tzinfo=ZONE),
    )
    assert amendment.corrected_mg == 25


def test_the_amendment_api_refuses_the_raise_after_a_hold(world: Any) -> None:
    given = _given_then_held(world, Medication.METHADONE)
    with time_machine.travel(datetime(2026, 11, 17, 11, 5, tzinfo=ZONE), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses/{given.pk}/amendments",
            json.dumps(
                {
                    "corrected_mg": "40",
                    "reason": "rest of today's dose, entered short",
                    "correction_version": 0,
                }
            ),
            "application/json",
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "corrected_mg"
    assert not DoseAmendment.objects.filter(dose=given).exists()


# --- The person's lock on the dose path (PostgreSQL: folded into the order's read, no extra statement) ---


def test_the_dose_reads_the_order_with_the_persons_lock_inside_its_transaction(world: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transaction holds the one writer lock from its start")
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30")
    with CaptureQueriesContext(connection) as captured:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", sequence=1)
    sql = [q["sql"] for q in captured.captured_queries]
    savepoint = next(i for i, s in enumerate(sql) if s.startswith("SAVEPOINT"))
    locked = next(i for i, s in enumerate(sql) if "FOR NO KEY UPDATE OF" in s)
    reads = next(i for i, s in enumerate(sql) if '"treatment_doserecord"' in s and s.startswith("SELECT"))
    assert savepoint < locked < reads


def test_the_order_page_says_why_a_raise_on_a_high_qtc_is_not_saved(world: Any) -> None:
    methadone_with_qtc(world, 520)
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/patients/{world.alice.pk}/medication/orders/",
        {
            "medication": "methadone",
            "dose_mg": "100",
            **page_versions(world.alice),
            "order_version_methadone": str(order_version(world.alice, "methadone")),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "520" in response.content.decode()
    active = MedicationOrder.objects.get(
        patient=world.alice, medication="methadone", status=OrderStatus.ACTIVE
    )
    assert active.dose_mg == 80


def test_the_order_page_says_it_in_spanish(world: Any) -> None:
    methadone_with_qtc(world, 520)
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/patients/{world.alice.pk}/medication/orders/",
        {
            "medication": "methadone",
            "dose_mg": "100",
            **page_versions(world.alice),
            "order_version_methadone": str(order_version(world.alice, "methadone")),
        },
        follow=True,
        headers={"accept-language": "es"},
    )
    assert "El QTc más reciente es de 520 ms" in response.content.decode()
