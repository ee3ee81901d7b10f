"""Review 20a hole 8: within one measured day the highest QTc is the recent one (a normal ECG of the same
morning entered later no longer hides a 520)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.treatment.queries.qtc import dose_review_qtc, recent_qtc
from keel.treatment.services.common import DoseBlocked

from .conftest import Clinic, a_day, dose, methadone_on, prescribe, qtc


def test_a_normal_reading_of_the_same_day_entered_later_does_not_hide_the_520(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    qtc(clinic, 520, measured_on=day, entered_on=day, hour=9)
    qtc(clinic, 430, measured_on=day, entered_on=day, hour=11)
    assert recent_qtc(clinic.patient, day).qtc_ms == 520  # type: ignore[union-attr]


def test_a_normal_repeat_measured_the_next_day_is_the_recent_one(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    qtc(clinic, 520, measured_on=day, entered_on=day, hour=9)
    qtc(clinic, 440, measured_on=day + timedelta(days=1), entered_on=day + timedelta(days=1))
    assert recent_qtc(clinic.patient, day + timedelta(days=1)).qtc_ms == 440  # type: ignore[union-attr]


def test_the_record_pages_notice_reads_the_highest_of_the_day(clinic: Clinic) -> None:
    day = a_day(clinic, 1)
    qtc(clinic, 520, measured_on=day, entered_on=day, hour=9)
    qtc(clinic, 430, measured_on=day, entered_on=day, hour=11)
    assert dose_review_qtc(clinic.patient.pk, clinic.at(day, 12)).qtc_ms == 520  # type: ignore[union-attr]


def test_the_window_blocks_the_raise_on_the_highest_reading_of_the_day(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 80, dosed_until=a_day(clinic, 1))
    prescribe(clinic, 90, written=clinic.d0, starts_on=day)
    qtc(clinic, 520, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1), hour=9)
    qtc(clinic, 430, measured_on=a_day(clinic, 1), entered_on=a_day(clinic, 1), hour=11)
    with pytest.raises(DoseBlocked):
        dose(clinic, 90, day)
