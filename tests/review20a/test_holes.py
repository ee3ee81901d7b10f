"""Review 20a (OTP medical director with a penetration tester): holes in the newest medication guards.

Each test states the hole, its severity, and what a safe Keel must do; each fails on the code it was written
against (branch review20a from main at 0466698)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services import doses as dose_services
from keel.treatment.services import orders as order_services
from keel.treatment.services import qtc as qtc_services
from keel.treatment.services.common import DoseBlocked

from .conftest import Clinic, methadone_on


def _qtc(clinic: Clinic, ms: int, *, measured_on, entered_on) -> None:
    qtc_services.record_qtc(
        by=clinic.nurse,
        patient_id=clinic.patient.pk,
        qtc_ms=ms,
        measured_on=measured_on,
        now=clinic.at(entered_on, 11),
    )


def _deferred_raise(clinic: Clinic, mg: int, starts_on) -> None:
    order_services.prescribe(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        medication="methadone",
        dose_mg=mg,
        starts_on=starts_on,
        now=clinic.at(clinic.d0, 9),
    )


def _dose(clinic: Clinic, mg: int, day):
    return dose_services.record_dose(
        by=clinic.nurse, patient_id=clinic.patient.pk, amount_mg=mg, now=clinic.at(day, 10)
    )


def test_deferred_raise_passes_when_the_high_qtc_ecg_is_entered_after_the_order_but_dated_before(
    clinic: Clinic,
) -> None:
    """Hole (high): the window's block on a deferred methadone raise after a QTc of 500 ms or more
    (`deferred_raise_on_high_qtc`) compares the ECG's *measured_on* with the day the order was written. An ECG
    taken on Monday whose reading (520 ms) is entered on Wednesday, after a raise written on Tuesday to start
    on Thursday, is "measured before the order was written", so the raise is given on Thursday with no
    prescriber ever having seen that QTc. Ordinary at work: ECG reads come back from cardiology days later.
    The prescriber's gate at writing time saw only the older 430 ms. A safe Keel decides by what the
    prescriber could have known (the QTc *recorded* after the order was written, `recorded_at` against
    `created_at`): the raise above the superseded 80 mg is blocked at the window (DoseBlocked)."""
    d0 = clinic.d0
    methadone_on(clinic, 80, dosed_until=d0 + timedelta(days=1))
    _qtc(clinic, 430, measured_on=d0 - timedelta(days=20), entered_on=d0 - timedelta(days=20))
    _deferred_raise(clinic, 90, d0 + timedelta(days=2))  # Tuesday: the gate saw 430 ms
    _qtc(clinic, 520, measured_on=d0 - timedelta(days=1), entered_on=d0 + timedelta(days=1))  # Monday's ECG
    with pytest.raises(DoseBlocked):
        _dose(clinic, 90, d0 + timedelta(days=2))


def test_deferred_methadone_start_is_given_on_a_qtc_of_500_measured_after_it_was_written(
    clinic: Clinic,
) -> None:
    """Hole (high): a methadone *start* on a QTc of 500 ms or more needs the prescriber's reason (review 19a,
    `order_on_qtc`), and a deferred *raise* is blocked at the window when such a QTc comes after it was
    written (review 19c). A deferred *start* falls between the two: `deferred_raise_on_high_qtc` returns None
    when the order supersedes nothing (`before_mg` None) and `above_order_on_high_qtc` only looks above the
    order. A start written on Tuesday for Thursday (no ECG yet), then a baseline ECG of 540 ms on Wednesday:
    Thursday's first 30 mg is given with no prescriber's decision. Krantz 2009 asks for the ECG before
    treatment precisely for this. A safe Keel blocks the first dose (DoseBlocked) until a prescriber re-writes
    the start with the reason."""
    d0 = clinic.d0
    order_services.prescribe(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        medication="methadone",
        dose_mg="30",
        starts_on=d0 + timedelta(days=2),
        now=clinic.at(d0, 9),
    )
    _qtc(clinic, 540, measured_on=d0 + timedelta(days=1), entered_on=d0 + timedelta(days=1))
    with pytest.raises(DoseBlocked):
        _dose(clinic, 30, d0 + timedelta(days=2))


def test_a_correction_gives_the_deferred_raise_the_window_blocked_on_a_high_qtc(clinic: Clinic) -> None:
    """Hole (high): another route to the same action. The window blocks 90 mg under a deferred raise (80 to
    90 mg) after a QTc of 520 ms measured after the raise was written; the nurse gives the old 80 mg. A
    correction of that dose to 90 mg (amend_dose, "typed 80, gave 90") meets `amendment_ceilings`, which
    checks the QTc only under a day's limit override and otherwise the order's own dose (90): the raise the
    window refused is recorded as given, with no prescriber's reason. A safe Keel refuses the correction,
    naming corrected_mg, as the window refused the dose."""
    d0 = clinic.d0
    methadone_on(clinic, 80, dosed_until=d0 + timedelta(days=1))
    _deferred_raise(clinic, 90, d0 + timedelta(days=2))
    _qtc(clinic, 520, measured_on=d0 + timedelta(days=1), entered_on=d0 + timedelta(days=1))
    day = d0 + timedelta(days=2)
    with pytest.raises(DoseBlocked):  # the window's gate works
        _dose(clinic, 90, day)
    given = _dose(clinic, 80, day).dose
    with pytest.raises(TreatmentInvalid) as refused:
        dose_services.amend_dose(
            by=clinic.nurse,
            patient_id=clinic.patient.pk,
            dose_id=given.pk,
            corrected_mg="90",
            reason="typed 80, 90 was poured",
            now=clinic.at(day, 12),
        )
    assert [e.field for e in refused.value.errors] == ["corrected_mg"]


def test_a_rescheduled_deferred_raise_reads_the_never_started_order_as_the_dose_it_raised_from(
    clinic: Clinic,
) -> None:
    """Hole (medium): the window's deferred-raise check takes the dose "raised from" as the order the
    deferred order superseded (`order.supersedes`), which is not the dose in force when that one was itself a
    deferred order that never came into force. On 80 mg, the prescriber writes 100 mg to start in five days,
    then the same morning re-schedules: 90 mg to start in two days (it supersedes the 100 mg order, which now
    never comes into force). A QTc of 520 ms is measured the next day. On the start day the window reads the
    raise as 100 -> 90 (a lowering) and gives 90 mg: the 80 -> 90 raise on a QTc of 520 ms passes with no
    prescriber's reason, though the same raise written as one order is blocked. A safe Keel measures the
    raise from the order in force when the deferred order was written (80 mg) and blocks (DoseBlocked)."""
    d0 = clinic.d0
    methadone_on(clinic, 80, dosed_until=d0 + timedelta(days=1))
    _deferred_raise(clinic, 100, d0 + timedelta(days=5))
    _deferred_raise(clinic, 90, d0 + timedelta(days=2))  # re-scheduled sooner, a smaller step
    _qtc(clinic, 520, measured_on=d0 + timedelta(days=1), entered_on=d0 + timedelta(days=1))
    with pytest.raises(DoseBlocked):
        _dose(clinic, 90, d0 + timedelta(days=2))


def test_a_note_copied_forward_counts_as_the_prescribers_qtc_reason_for_a_deferred_raise(
    clinic: Clinic,
) -> None:
    """Hole (medium): whether a deferred raise was written with the prescriber's QTc reason is read as a
    substring of the order's free-text note (`QTC_REASON_NOTE in order.note`, and `note__contains` in
    `last_methadone_mg`). The note is the prescriber's own text, from the page and the API alike; a note
    carried forward from an earlier order ("Raised on a QTc of 500 ms or more, prescriber's reason: ...", the
    words Keel itself wrote on that order) makes a new raise, written when no high QTc was on record, pass the
    window after a QTc of 520 ms as though its reason had been given for it. A safe Keel records that fact in
    a field of its own, never from the note: the dose above the superseded 80 mg is blocked (DoseBlocked)."""
    d0 = clinic.d0
    methadone_on(clinic, 80, dosed_until=d0 + timedelta(days=1))
    order_services.prescribe(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        medication="methadone",
        dose_mg="90",
        starts_on=d0 + timedelta(days=2),
        note="Raised on a QTc of 500 ms or more, prescriber's reason: cardiology agreed in March",
        now=clinic.at(d0, 9),
    )
    _qtc(clinic, 520, measured_on=d0 + timedelta(days=1), entered_on=d0 + timedelta(days=1))
    with pytest.raises(DoseBlocked):
        _dose(clinic, 90, d0 + timedelta(days=2))


def test_methadone_after_full_dose_buprenorphine_passes_as_a_low_dose_start_long_after_its_schedule_ended(
    clinic: Clinic,
) -> None:
    """Hole (medium): the second-agonist gate lets methadone follow buprenorphine given today without a
    prescriber's switch override when every buprenorphine dose today came from an order that *has* a low-dose
    schedule (`all(schedules)` in `second_agonist_gate`), never asking whether today is a step of that
    schedule. A 7-day low-dose start that ended weeks ago, the person now on 16 mg a day under the same
    order, the methadone order left active by mistake: the nurse gives 16 mg buprenorphine at 08:00 and
    methadone 60 mg at 10:00 with no prescriber's decision, as "the method" (Hammig 2016 covers the
    schedule's days, not a month later). A safe Keel treats a buprenorphine dose as a low-dose step only on
    a day of its schedule (and at most the step's mg): here the methadone dose is blocked (DoseBlocked)."""
    from datetime import datetime, time
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from keel.treatment.models import DoseRecord, MedicationOrder

    d0 = clinic.d0
    day = d0 + timedelta(days=2)
    methadone_on(clinic, 60, dosed_until=day - timedelta(days=1))
    bup = MedicationOrder.objects.create(
        patient=clinic.patient,
        medication="buprenorphine",
        rxnorm="1819",
        dose_mg=Decimal(16),
        starts_on=day - timedelta(days=35),
        schedule=[{"day": n, "mg": mg} for n, mg in enumerate((0.5, 1, 2, 4, 8, 12, 16), start=1)],
        prescriber=clinic.prescriber,
        created_at=clinic.at(day - timedelta(days=35), 7),
    )
    at = datetime.combine(day, time(8, 0), tzinfo=ZoneInfo(clinic.patient.program.time_zone))
    DoseRecord.objects.create(  # today's buprenorphine, 28 days after the schedule's last step
        patient=clinic.patient,
        order=bup,
        medication="buprenorphine",
        local_date=day,
        sequence=1,
        status="given",
        amount_mg=Decimal(16),
        treatment_day=36,
        decision={"decision": "allowed", "reasons": []},
        recorded_by=clinic.nurse,
        given_at=at,
        recorded_at=at,
    )
    with pytest.raises(DoseBlocked):
        _dose(clinic, 60, day)


def test_a_deferred_raise_written_after_a_same_day_readmission_is_given_on_a_later_qtc_of_520(
    clinic: Clinic,
) -> None:
    """Hole (high): discharge, readmit, then a raise written to start tomorrow. Discharge stops the 80 mg
    order, so the new 90 mg order supersedes nothing; the prescriber's gate compares it with the last
    episode's 80 mg (review 19a) and, on no high QTc, passes it. A QTc of 520 ms is then recorded the same
    day. Tomorrow the window's deferred-raise check has no superseded order to compare with (`before_mg`
    None) and `above_order_on_high_qtc` looks only above the order; the new episode's first-day limit is
    passed by the prescriber's limit override (about tolerance, not the QTc; `high_qtc_limit` allows it, as it
    is not above the order): 90 mg is given on a QTc of 520 ms with no prescriber's QTc reason, while the
    same raise within one episode is blocked whatever override covers the day. A safe Keel takes the dose
    raised from as the prescriber's gate does (`last_methadone_mg`, across episodes) and blocks
    (DoseBlocked)."""
    from keel.patients.models import EndReason, Enrollment, EnrollmentStatus
    from keel.treatment.models import OrderStatus

    d0 = clinic.d0
    old = methadone_on(clinic, 80, dosed_until=d0)  # dosed this morning, then discharged
    old.status = OrderStatus.STOPPED
    old.save(update_fields=["status"])
    Enrollment.objects.filter(patient=clinic.patient).update(
        status=EnrollmentStatus.ENDED, ended_on=d0, end_reason=EndReason.LEFT
    )
    Enrollment.objects.create(patient=clinic.patient, program=clinic.patient.program, started_on=d0)
    _deferred_raise(clinic, 90, d0 + timedelta(days=1))
    _qtc(clinic, 520, measured_on=d0, entered_on=d0)
    from keel.treatment.services.overrides import add_override

    add_override(  # the new episode's first-day limit: the prescriber continues the dose of last week
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        max_total_mg="90",
        reason="stable on methadone until yesterday, tolerance kept, continuing the planned raise",
        now=clinic.at(d0 + timedelta(days=1), 8),
    )
    with pytest.raises(DoseBlocked):
        _dose(clinic, 90, d0 + timedelta(days=1))
