"""Review 20a hole 7: a buprenorphine dose counts as a low-dose start's step (methadone the same day is the
method, Hammig 2016) only on a day of its schedule and at most that step's mg."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from keel.treatment.models import DoseRecord, MedicationOrder
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.overrides import add_override

from .conftest import Clinic, a_day, dose, methadone_on

STEPS = (0.5, 1, 2, 4, 8, 12, 16)


def _bup(clinic: Clinic, day: date, mg: float, *, dosed_before: int) -> None:
    """A 7-step low-dose order started `dosed_before` days ago, one step given each day, then `mg` today."""
    start = day - timedelta(days=dosed_before)
    order = MedicationOrder.objects.create(
        patient=clinic.patient,
        medication="buprenorphine",
        rxnorm="1819",
        dose_mg=Decimal(16),
        starts_on=start,
        schedule=[{"day": n, "mg": m} for n, m in enumerate(STEPS, start=1)],
        prescriber=clinic.prescriber,
        created_at=clinic.at(start, 7),
    )
    zone = ZoneInfo(clinic.patient.program.time_zone)
    for n in range(dosed_before + 1):
        on = start + timedelta(days=n)
        at = datetime.combine(on, time(8, 0), tzinfo=zone)
        DoseRecord.objects.create(
            patient=clinic.patient,
            order=order,
            medication="buprenorphine",
            local_date=on,
            sequence=1,
            status="given",
            amount_mg=Decimal(str(mg if on == day else STEPS[min(n, len(STEPS) - 1)])),
            treatment_day=n + 1,
            decision={"decision": "allowed", "reasons": []},
            recorded_by=clinic.nurse,
            given_at=at,
            recorded_at=at,
        )


def test_methadone_alongside_a_step_of_the_schedule_passes(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 60, dosed_until=day - timedelta(days=1))
    _bup(clinic, day, 2, dosed_before=2)  # step 3 (2 mg) today
    assert dose(clinic, 60, day).amount_mg == 60


def test_methadone_after_more_buprenorphine_than_todays_step_is_blocked(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 60, dosed_until=day - timedelta(days=1))
    _bup(clinic, day, 8, dosed_before=2)  # step 3 is 2 mg; 8 mg given
    with pytest.raises(DoseBlocked):
        dose(clinic, 60, day)


def test_methadone_after_the_schedule_ended_is_blocked(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 60, dosed_until=day - timedelta(days=1))
    _bup(clinic, day, 16, dosed_before=10)  # day 11: the 7-step schedule ended
    with pytest.raises(DoseBlocked):
        dose(clinic, 60, day)


def test_the_prescribers_switch_override_passes_methadone_after_the_schedule_ended(clinic: Clinic) -> None:
    day = a_day(clinic, 2)
    methadone_on(clinic, 60, dosed_until=day - timedelta(days=1))
    _bup(clinic, day, 16, dosed_before=10)
    add_override(
        by=clinic.prescriber,
        patient_id=clinic.patient.pk,
        kind="switch",
        reason="switching to methadone today after the team's review of cravings",
        now=clinic.at(day, 9),
    )
    assert dose(clinic, 60, day).amount_mg == 60
