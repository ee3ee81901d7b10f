"""Review 13: readmission restarts induction; XR-naltrexone after the program's own methadone doses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from keel.patients.schemas import DischargeIn, ReadmissionIn
from tests.review13.helpers import ALL_CRITERIA, at, dose, dose_daily, methadone_order

D0 = date(2026, 11, 2)


def _discharge_and_readmit(world: Any, out_day: date, back_day: date) -> None:
    from keel.patients import services as patients

    with time_machine.travel(at(out_day, 17), tick=False):
        patients.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "completed"}),
        )
    with time_machine.travel(at(back_day, 8), tick=False):
        patients.readmit(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )


def test_readmission_restarts_first_dose_limit(world: Any) -> None:
    """Held: readmitted after 2 weeks away, the old 40 mg is refused: day 1 of a new episode again."""
    from keel.treatment import services

    methadone_order(world, "40", when=at(D0, 7))
    # The lead (session 34, review 34c hole 3): the first raise waits the program's days between increases
    # from the first dose, so 40 mg starts on day 4 (was day 2); the last dose is still D0 + 5.
    dose_daily(world, D0, 3, "30")
    dose_daily(world, D0 + timedelta(days=3), 3, "40")
    back = D0 + timedelta(days=20)
    _discharge_and_readmit(world, D0 + timedelta(days=6), back)
    methadone_order(world, "40", when=at(back, 8, 30))
    with pytest.raises(services.DoseBlocked):
        dose(world, "40", at(back, 10))


def test_readmission_takes_home_count_from_new_episode(world: Any) -> None:
    """Held: take-home days in treatment restart at readmission (not the old episode's 40 days)."""
    from keel.treatment import services

    methadone_order(world, "30", when=at(D0, 7))
    dose_daily(world, D0, 40, "30")
    back = D0 + timedelta(days=45)
    _discharge_and_readmit(world, D0 + timedelta(days=40), back)
    methadone_order(world, "30", when=at(back, 8, 30))
    dose(world, "30", at(back, 10))
    assert services.take_home_days_in_treatment(world.alice, back) <= 1


def test_naltrexone_refused_three_days_after_window_methadone(world: Any) -> None:
    """Held: the program's own methadone dose 3 days ago (no report typed) blocks a first XR-naltrexone."""
    from keel.treatment import services

    methadone_order(world, "30", when=at(D0, 7))
    dose_daily(world, D0, 3, "30")
    services.prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="naltrexone_xr",
        dose_mg="380",
        now=at(D0 + timedelta(days=5), 8),
    )
    with pytest.raises((services.DoseBlocked, services.TreatmentInvalid)):
        services.record_injection(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            site="left_gluteal",
            now=at(D0 + timedelta(days=5), 10),
        )


def test_take_home_refused_after_discharge(world: Any) -> None:
    """Held: no take-home decision once the episode has ended."""
    from keel.patients import services as patients
    from keel.treatment import services

    methadone_order(world, "30", when=at(D0, 7))
    dose_daily(world, D0, 10, "30")
    day = D0 + timedelta(days=10)
    with time_machine.travel(at(day, 8), tick=False):
        patients.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "completed"}),
        )
    with pytest.raises(services.TreatmentInvalid):
        services.decide_take_home(
            by=world.staff["prescriber"], patient_id=world.alice.pk, criteria=ALL_CRITERIA, now=at(day, 9)
        )
