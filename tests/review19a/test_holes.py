"""Review 19a (medical director + penetration tester): medication-safety guards attacked with ordinary
input. Each test states the safe behaviour; it fails on the code as reviewed."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York), a Thursday


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def test_no_naltrexone_injection_for_a_person_whose_episode_ended(world: Any) -> None:
    """The window refuses a dose once the episode of care ended (discharge); the injection route must too,
    even when a prescriber wrote a naltrexone order after the discharge."""
    from keel.patients.schemas import DischargeIn
    from keel.patients.services.episodes import discharge
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.models import DoseRecord, MedicationOrder
    from keel.treatment.services import prescribe, record_injection
    from keel.treatment.services.last_use import record_last_use

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="naltrexone_xr", dose_mg="380", now=NOW)
    discharge(by=prescriber, patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "completed"}))
    # an order left active after the discharge (one written after it, before review 20a made `prescribe`
    # refuse that): the injection itself must still refuse the person
    MedicationOrder.objects.filter(patient=world.alice, medication="naltrexone_xr").update(status="active")
    record_last_use(
        by=nurse,
        patient_id=world.alice.pk,
        raw={"opioids": [{"opioid": "heroin", "last_use_at": "2026-11-20T10:00:00-05:00"}]},
        now=NOW,
    )
    with pytest.raises(TreatmentInvalid):
        record_injection(by=nurse, patient_id=world.alice.pk, site="left_gluteal", now=NOW)
    assert not DoseRecord.objects.filter(patient=world.alice, medication="naltrexone_xr").exists()


def test_a_qtc_dated_in_the_future_does_not_hide_todays_qtc_of_520(world: Any) -> None:
    """A QTc of 520 ms measured today gates a methadone raise. A second QTc typed with next year's date
    (a slip of the year) must not become "the latest" and let the raise through without a reason: either
    the future date is refused or the gate still sees 520."""
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.services import prescribe
    from keel.treatment.services.qtc import record_qtc

    prescriber = world.staff["prescriber"]
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="60", now=NOW)
    record_qtc(by=prescriber, patient_id=world.alice.pk, qtc_ms=520, measured_on=date(2026, 12, 3), now=NOW)
    with contextlib.suppress(TreatmentInvalid):  # refusing the future date is one safe answer
        record_qtc(
            by=prescriber, patient_id=world.alice.pk, qtc_ms=430, measured_on=date(2027, 12, 3), now=NOW
        )
    with pytest.raises(TreatmentInvalid):
        prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="70", now=NOW)


def test_home_start_does_not_say_take_the_first_dose_after_the_clinic_gave_it_today(world: Any) -> None:
    """Day 1 of buprenorphine: the clinic gave the 8 mg first dose at the window (the program's day-1 limit
    is 8 mg). The person's own home-start check later that day must not answer "start" (take the first dose
    at home now): that would be a second first dose, past the day's limit."""
    from keel.assessments.services import submit_assessment
    from keel.treatment.readiness import home_start
    from keel.treatment.services import add_override, prescribe, record_dose
    from keel.treatment.services.last_use import record_last_use

    prescriber, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    prescribe(
        by=prescriber, patient_id=alice.pk, medication="buprenorphine", dose_mg="8", home_start=True, now=NOW
    )
    record_last_use(
        by=nurse,
        patient_id=alice.pk,
        raw={"opioids": [{"opioid": "heroin", "last_use_at": "2026-12-02T10:00:00-05:00"}]},
        now=NOW - timedelta(hours=2),
    )
    add_override(
        by=prescriber,
        patient_id=alice.pk,
        max_total_mg="8",
        reason="Observed withdrawal at the clinic, COWS 14, heroin 24 hours ago: first dose observed here",
        medication="buprenorphine",
        kind="start",
        now=NOW - timedelta(hours=1),
    )
    record_dose(
        by=nurse,
        patient_id=alice.pk,
        amount_mg="8",
        medication="buprenorphine",
        now=NOW - timedelta(minutes=30),
    )
    submit_assessment(
        by=alice.user,
        patient_id=None,
        instrument="sows",
        answers={f"sows_{i}": 2 for i in range(1, 17)},
        filled_at=NOW - timedelta(minutes=5),
    )
    answer = home_start(alice.user, NOW)
    assert answer.decision is None or answer.decision.decision != "start"


def test_a_discharge_and_readmission_does_not_reset_the_qtc_raise_gate(world: Any) -> None:
    """On methadone 60 mg with a QTc of 520 ms this week. The person is discharged (the order stops) and
    readmitted the same day; the new order at 100 mg is a raise from the dose they were on, on a QTc of 520:
    it needs the prescriber's reason exactly as a raise within one episode does."""
    from keel.patients.schemas import DischargeIn, ReadmissionIn
    from keel.patients.services.episodes import discharge, readmit
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.services import prescribe
    from keel.treatment.services.qtc import record_qtc

    prescriber = world.staff["prescriber"]
    prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="60", now=NOW)
    record_qtc(by=prescriber, patient_id=world.alice.pk, qtc_ms=520, measured_on=date(2026, 12, 1), now=NOW)
    discharge(by=prescriber, patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"}))
    readmit(
        by=prescriber,
        patient_id=world.alice.pk,
        data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
    )
    with pytest.raises(TreatmentInvalid):
        prescribe(by=prescriber, patient_id=world.alice.pk, medication="methadone", dose_mg="100", now=NOW)


def test_a_methadone_dose_landing_while_the_injection_is_checked_stops_the_injection(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two nurses at once: one gives methadone at the window while the other gives the XR-naltrexone
    injection (a switch off methadone, the methadone order still active). One after the other the injection
    is refused (methadone 0 days ago: precipitated withdrawal). Here the dose commits after the injection read
    the last uses and before it takes the person's lock (the interleaving, made deterministic): the injection
    must still be refused, its readiness read under the lock."""
    from keel.treatment.models import DoseRecord
    from keel.treatment.services import common, injections, prescribe, record_dose, record_injection
    from keel.treatment.services.common import DoseBlocked
    from keel.treatment.services.last_use import record_last_use

    prescriber, nurse, other_nurse = (
        world.staff["prescriber"],
        world.staff["nurse"],
        world.staff["prescriber"],
    )
    alice = world.alice
    prescribe(
        by=prescriber, patient_id=alice.pk, medication="methadone", dose_mg="30", now=NOW - timedelta(days=1)
    )
    prescribe(by=prescriber, patient_id=alice.pk, medication="naltrexone_xr", dose_mg="380", now=NOW)
    record_last_use(
        by=nurse,
        patient_id=alice.pk,
        raw={
            "opioids": [
                {"opioid": "heroin", "last_use_at": "2026-11-10T10:00:00-05:00"},
                {"opioid": "methadone", "last_use_at": "2026-11-10T10:00:00-05:00"},
            ]
        },
        now=NOW - timedelta(hours=3),
    )
    real_lock = common.lock_person
    landed: list[int] = []

    def the_other_nurse_doses_first(patient: Any) -> None:
        if not landed:  # the window's dose commits in this gap
            landed.append(record_dose(by=other_nurse, patient_id=alice.pk, amount_mg="30", now=NOW).dose.pk)
        real_lock(patient)

    monkeypatch.setattr(injections, "lock_person", the_other_nurse_doses_first)
    with pytest.raises(DoseBlocked):
        record_injection(by=nurse, patient_id=alice.pk, site="left_gluteal", now=NOW)
    assert landed  # the methadone dose was given
    assert not DoseRecord.objects.filter(patient=alice, medication="naltrexone_xr").exists()


def _given_daily(world: Any, medication: str, mg: int, days: int = 7) -> Any:
    """An order written 10 days ago and a dose of it given at the window on each of the last `days` days
    (rows built directly: the history, not the behaviour under test)."""
    from keel.treatment.models import DoseRecord
    from keel.treatment.services import prescribe

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    order = prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication=medication,
        dose_mg=str(mg),
        now=NOW - timedelta(days=10),
    )
    for back in range(1, days + 1):
        day = date(2026, 12, 3) - timedelta(days=back)
        DoseRecord.objects.create(
            patient=world.alice,
            order=order,
            medication=medication,
            local_date=day,
            sequence=1,
            status="given",
            amount_mg=Decimal(mg),
            treatment_day=days + 1 - back,
            decision={},
            recorded_by=nurse,
            recorded_at=datetime(day.year, day.month, day.day, 14, tzinfo=UTC),
        )
    return order


def test_an_order_that_starts_next_week_does_not_govern_todays_dose(world: Any) -> None:
    """Methadone 40 mg daily for a week. On Thursday the prescriber writes the next step, 50 mg, to start on
    Monday. Thursday's dose at the window is still 40 mg: 50 mg today is past the order in effect today and
    must be refused (or wait for a prescriber's override)."""
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.services import prescribe, record_dose
    from keel.treatment.services.common import DoseBlocked

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    _given_daily(world, "methadone", 40)
    prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="50",
        starts_on=date(2026, 12, 7),
        now=NOW - timedelta(hours=3),
    )
    with pytest.raises((DoseBlocked, TreatmentInvalid)):
        record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="50", medication="methadone", now=NOW)


def test_methadone_is_not_given_the_same_day_as_buprenorphine_without_a_prescriber(world: Any) -> None:
    """A second opioid agonist: on buprenorphine 16 mg daily (given at 08:00 today), with a methadone order
    also active (a switch written, the buprenorphine order not stopped). Methadone at the window the same
    day must not pass as 'within the program's limits': two agonists in one day need a prescriber's
    decision for that day (the reverse, buprenorphine after methadone, is already stopped by the start
    gate)."""
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.services import prescribe, record_dose
    from keel.treatment.services.common import DoseBlocked

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    _given_daily(world, "buprenorphine", 16)
    prescribe(
        by=prescriber,
        patient_id=world.alice.pk,
        medication="methadone",
        dose_mg="30",
        now=NOW - timedelta(days=1),
    )
    record_dose(
        by=nurse,
        patient_id=world.alice.pk,
        amount_mg="16",
        medication="buprenorphine",
        now=NOW - timedelta(hours=2),
    )
    with pytest.raises((DoseBlocked, TreatmentInvalid)):
        record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="30", medication="methadone", now=NOW)


def test_bottles_not_brought_back_still_count_against_the_supply_after_the_plan_ends(world: Any) -> None:
    """Take-home supply by another route: a 7-bottle plan (Dec 4-10) leaves with the person. The prescriber
    ends it early, no bottle brought back (returned_days empty), then decides a new plan for the same days.
    The person would hold 14 days of methadone, twice the 7 allowed at one time (42 CFR 8.12(i)): the bottles
    not brought back are still outstanding and the new plan must be refused."""
    from keel.core.rules.methadone import CRITERIA
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.services import decide_take_home, end_take_home_plan, record_dose

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    _given_daily(world, "methadone", 60)
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="60", now=NOW - timedelta(hours=1))
    criteria = {key: True for key, _text in CRITERIA}
    first = decide_take_home(by=prescriber, patient_id=world.alice.pk, criteria=criteria, now=NOW)
    assert first.max_supply_days == 7
    end_take_home_plan(
        by=prescriber,
        patient_id=world.alice.pk,
        plan_id=first.pk,
        reason="Schedule change after the counselor's review of the plan with the person",
        returned_days=[],
        now=NOW,
    )
    with pytest.raises(TreatmentInvalid):
        decide_take_home(by=prescriber, patient_id=world.alice.pk, criteria=criteria, now=NOW)


def test_a_dose_given_on_a_take_home_day_because_the_bottle_came_back_leaves_a_record_of_the_bottle(
    world: Any,
) -> None:
    """Today is a take-home day (a bottle for today went home yesterday, after the observed dose). The nurse
    ticks 'bottle returned' and gives the observed dose: that tick is what lets a second dose of the day
    pass the take-home-day guard, so the record must say it (the plan's returned_days, or the dose's audit
    row), else the day reads as a bottle at home and an observed dose, and nobody can tell who said the
    bottle came back."""
    from keel.audit.models import AuditEvent
    from keel.core.rules.methadone import CRITERIA
    from keel.treatment.models import TakeHomePlan
    from keel.treatment.services import decide_take_home, record_dose

    prescriber, nurse = world.staff["prescriber"], world.staff["nurse"]
    _given_daily(world, "methadone", 60)
    yesterday = NOW - timedelta(days=1)
    criteria = {key: True for key, _text in CRITERIA}
    decide_take_home(
        by=prescriber, patient_id=world.alice.pk, criteria=criteria, bottle_days="2026-12-03", now=yesterday
    )
    dose = record_dose(
        by=nurse, patient_id=world.alice.pk, amount_mg="60", bottle_returned=True, now=NOW
    ).dose
    plan = TakeHomePlan.objects.get(patient=world.alice)
    said_in_plan = "2026-12-03" in (plan.returned_days or [])
    said_in_audit = any(
        "bottle" in str(e.detail) or "bottle" in e.reason
        for e in AuditEvent.objects.filter(target_type="dose", target_id=str(dose.pk))
    )
    assert said_in_plan or said_in_audit
