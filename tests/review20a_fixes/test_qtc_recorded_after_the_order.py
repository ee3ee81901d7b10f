"""Review 20a holes 1, 2, 4, 5: a methadone raise or start above the dose the prescriber's gate compared it
with (`raised_from_mg`, kept at writing) is blocked at the window on a QTc of 500 ms or more recorded after
the order was written, whatever its measured day, whatever day override; never below the level given."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.overrides import add_override

from .conftest import Clinic, a_day, dose, methadone_on, prescribe, qtc

REASON = "cardiology reviewed the ECG, potassium corrected, benefit of the raise outweighs the risk"


def _limit_override(clinic: Clinic, mg: int, day: date) -> None:
    add_override(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        max_total_mg=str(mg),
        reason="tolerance kept after a short gap, continuing the planned dose today",
        now=clinic.at(day, 8),
    )


# --- what is kept on the order at writing ---


def test_a_raise_keeps_the_dose_in_force_it_raised_from(clinic: Clinic) -> None:
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    assert prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2)).raised_from_mg == 80


def test_a_start_keeps_zero_as_the_dose_it_raised_from(clinic: Clinic) -> None:
    assert prescribe(clinic, 30, written=clinic.d0, starts_on=a_day(clinic, 2)).raised_from_mg == 0


def test_a_rescheduled_raise_keeps_the_dose_in_force_not_the_never_started_order(clinic: Clinic) -> None:
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 100, written=clinic.d0, starts_on=a_day(clinic, 5))
    assert prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2), hour=10).raised_from_mg == 80


# --- hole 1: recorded, not measured ---


def test_an_ordinary_raise_written_today_is_blocked_on_a_qtc_entered_an_hour_later(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    methadone_on(clinic, 80, dosed_until=clinic.d0)
    prescribe(clinic, 90, written=day, hour=8)
    qtc(clinic, 520, measured_on=day - timedelta(days=3), entered_on=day, hour=9)
    with pytest.raises(DoseBlocked):
        dose(clinic, 90, day)


def test_the_dose_it_raised_from_is_still_given_under_the_blocked_raise(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=day)
    qtc(clinic, 520, measured_on=clinic.d0 - timedelta(days=1), entered_on=a_day(clinic, 1))
    assert dose(clinic, 80, day).amount_mg == 80


def test_a_qtc_recorded_before_the_order_was_written_is_the_gates_not_the_windows(clinic: Clinic) -> None:
    """Known at writing: the gate asked for the reason; given, the raise passes at the window."""
    day = a_day(clinic, 2)
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    qtc(clinic, 520, measured_on=clinic.d0, entered_on=clinic.d0, hour=8)
    prescribe(clinic, 90, written=clinic.d0, starts_on=day, reason=REASON)
    assert dose(clinic, 90, day).amount_mg == 90


def test_a_raise_already_given_is_not_cut_by_a_later_qtc(clinic: Clinic) -> None:
    """Stopping a stable dose abruptly is harmful too: at or below the level already given passes."""
    methadone_on(clinic, 80, dosed_until=clinic.d0)
    prescribe(clinic, 90, written=a_day(clinic, 1), hour=8)
    dose(clinic, 90, a_day(clinic, 1))
    qtc(clinic, 520, measured_on=a_day(clinic, 2), entered_on=a_day(clinic, 2), hour=8)
    assert dose(clinic, 90, a_day(clinic, 2)).amount_mg == 90


def test_a_qtc_entered_late_in_the_evening_after_the_order_counts_whatever_the_utc_day(
    clinic: Clinic,
) -> None:
    """The comparison is of instants: 23:00 in New York is the next day in UTC."""
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2), hour=21)
    qtc(clinic, 520, measured_on=clinic.d0, entered_on=clinic.d0, hour=23)
    with pytest.raises(DoseBlocked):
        dose(clinic, 90, a_day(clinic, 2))


def test_a_later_normal_repeat_ecg_releases_the_raise(clinic: Clinic) -> None:
    """Krantz acts on the current interval: a repeat ECG measured later, under 500 ms, is the latest."""
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2))
    qtc(clinic, 520, measured_on=clinic.d0, entered_on=clinic.d0, hour=11)
    qtc(clinic, 440, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    assert dose(clinic, 90, a_day(clinic, 2)).amount_mg == 90


# --- re-writing the order ---


def test_rewriting_the_blocked_raise_without_the_reason_is_refused_at_writing(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    methadone_on(clinic, 80, dosed_until=clinic.d0)
    prescribe(clinic, 90, written=day, hour=8)
    qtc(clinic, 520, measured_on=day, entered_on=day, hour=9)
    with pytest.raises(TreatmentInvalid) as refused:
        prescribe(clinic, 90, written=day, hour=12)
    assert [e.field for e in refused.value.errors] == ["override_reason"]


def test_rewriting_the_blocked_raise_with_the_reason_releases_it(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    methadone_on(clinic, 80, dosed_until=clinic.d0)
    prescribe(clinic, 90, written=day, hour=8)
    qtc(clinic, 520, measured_on=day, entered_on=day, hour=9)
    prescribe(clinic, 90, written=day, hour=9, reason=REASON)
    assert dose(clinic, 90, day, hour=11).amount_mg == 90


# --- hole 2: a start ---


def test_a_start_written_today_is_blocked_on_a_baseline_qtc_entered_after_it(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    prescribe(clinic, 30, written=day, hour=8)
    qtc(clinic, 540, measured_on=day, entered_on=day, hour=9)
    with pytest.raises(DoseBlocked):
        dose(clinic, 30, day)


def test_rewriting_the_start_without_the_reason_is_refused_at_writing(clinic: Clinic) -> None:
    prescribe(clinic, 30, written=clinic.d0, starts_on=a_day(clinic, 2))
    qtc(clinic, 540, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    with pytest.raises(TreatmentInvalid) as refused:
        prescribe(clinic, 30, written=a_day(clinic, 1), starts_on=a_day(clinic, 2), hour=12)
    assert [e.field for e in refused.value.errors] == ["override_reason"]


def test_rewriting_the_start_with_the_reason_releases_the_first_dose(clinic: Clinic) -> None:
    prescribe(clinic, 30, written=clinic.d0, starts_on=a_day(clinic, 2))
    qtc(clinic, 540, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    prescribe(clinic, 30, written=a_day(clinic, 1), starts_on=a_day(clinic, 2), hour=12, reason=REASON)
    assert dose(clinic, 30, a_day(clinic, 2)).amount_mg == 30


# --- a day override of another kind never releases it ---


def test_a_limit_override_within_one_episode_does_not_release_the_raise(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=day)
    qtc(clinic, 520, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    _limit_override(clinic, 90, day)
    with pytest.raises(DoseBlocked):
        dose(clinic, 90, day)


def test_a_switch_override_does_not_release_the_raise(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=day)
    qtc(clinic, 520, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    add_override(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        kind="switch",
        reason="switching from buprenorphine today after the team's review",
        now=clinic.at(day, 8),
    )
    with pytest.raises(DoseBlocked):
        dose(clinic, 90, day)


# --- hole 4: readmission ---


def _readmitted(clinic: Clinic) -> None:
    from keel.patients.models import EndReason, Enrollment, EnrollmentStatus
    from keel.treatment.models import OrderStatus

    old = methadone_on(clinic, 80, dosed_until=clinic.d0)
    old.status = OrderStatus.STOPPED
    old.save(update_fields=["status"])
    Enrollment.objects.filter(patient=clinic.patient).update(
        status=EnrollmentStatus.ENDED, ended_on=clinic.d0, end_reason=EndReason.LEFT
    )
    Enrollment.objects.create(patient=clinic.patient, program=clinic.patient.program, started_on=clinic.d0)


def test_a_readmission_raise_keeps_the_last_episodes_dose_as_what_it_raised_from(clinic: Clinic) -> None:
    _readmitted(clinic)
    assert prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 1)).raised_from_mg == 80


def test_after_readmission_the_last_episodes_dose_is_still_given_with_the_first_day_override(
    clinic: Clinic,
) -> None:
    _readmitted(clinic)
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 1))
    qtc(clinic, 520, measured_on=clinic.d0, entered_on=clinic.d0)
    _limit_override(clinic, 80, a_day(clinic, 1))
    assert dose(clinic, 80, a_day(clinic, 1)).amount_mg == 80


def test_a_raise_written_today_after_readmission_is_blocked_with_the_first_day_override(
    clinic: Clinic,
) -> None:
    _readmitted(clinic)
    day = a_day(clinic, 1)
    prescribe(clinic, 90, written=day, hour=8)
    qtc(clinic, 520, measured_on=day, entered_on=day, hour=9)
    _limit_override(clinic, 90, day)
    with pytest.raises(DoseBlocked):
        dose(clinic, 90, day)


# --- hole 5: re-scheduled ---


def test_the_rescheduled_raise_rewritten_with_the_reason_is_given(clinic: Clinic) -> None:
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 100, written=clinic.d0, starts_on=a_day(clinic, 5))
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2), hour=10)
    qtc(clinic, 520, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    prescribe(clinic, 90, written=a_day(clinic, 1), starts_on=a_day(clinic, 2), hour=12, reason=REASON)
    assert dose(clinic, 90, a_day(clinic, 2)).amount_mg == 90


def test_the_rescheduled_raise_still_gives_the_dose_in_force(clinic: Clinic) -> None:
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 100, written=clinic.d0, starts_on=a_day(clinic, 5))
    prescribe(clinic, 90, written=clinic.d0, starts_on=a_day(clinic, 2), hour=10)
    qtc(clinic, 520, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1))
    assert dose(clinic, 80, a_day(clinic, 2)).amount_mg == 80
