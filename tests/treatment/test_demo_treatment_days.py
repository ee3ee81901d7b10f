"""The demo's dose history counts treatment days as the dosing window does (one definition of the treatment
day): yesterday's dose is the day before today's at the window, for everyone on methadone in the demo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from keel import demo
from keel.patients.models import Patient, local_today
from keel.treatment.models import DoseRecord
from keel.treatment.queries.contexts import dose_context


def _yesterday_and_window_days(patient: Patient) -> tuple[int, int] | None:
    today = local_today(patient)
    day_before = today - timedelta(days=1)
    doses = DoseRecord.objects.filter(patient=patient, medication="methadone", local_date=day_before)
    yesterday = doses.order_by("sequence").first()
    if yesterday is None or demo.episode_ended_on(patient) is not None:
        return None
    return yesterday.treatment_day, dose_context(patient, "methadone", today).treatment_day


def test_the_demos_doses_count_treatment_days_as_the_window_does(db: Any) -> None:
    demo.load(patients_per_program=6, seed=11)
    pairs = [p for p in (_yesterday_and_window_days(x) for x in Patient.objects.all()) if p is not None]
    assert [window - 1 for _, window in pairs] == [given for given, _ in pairs]


def test_the_demo_has_someone_on_methadone_with_a_dose_yesterday(db: Any) -> None:
    demo.load(patients_per_program=6, seed=11)
    pairs = [p for p in (_yesterday_and_window_days(x) for x in Patient.objects.all()) if p is not None]
    assert len(pairs) >= 3
