"""Review 13: take-home supplies (days in treatment, stacking, a bottle for a day already dosed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.review13.helpers import ALL_CRITERIA, at, dose, dose_daily, methadone_order

D0 = date(2026, 11, 2)


def _decide(world: Any, now: Any, **kw: Any) -> Any:
    from keel.treatment import services

    return services.decide_take_home(
        by=world.staff["prescriber"], patient_id=world.alice.pk, criteria=ALL_CRITERIA, now=now, **kw
    )


def test_second_plan_same_day_cannot_stack_a_second_supply(world: Any) -> None:
    """Harm: two decisions on one morning hand a day-10 person 14 bottles (7 + 7) where the federal ladder
    allows 7 days at a time: an overdose/diversion risk the ladder exists to prevent."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    today = D0 + timedelta(days=9)
    first = _decide(world, at(today, 10))
    assert len(first.bottles) == 7
    with pytest.raises(TreatmentInvalid):
        _decide(world, at(today, 10, 5), start_on=(today + timedelta(days=8)).isoformat())


def test_bottle_for_today_after_todays_observed_dose_is_refused(world: Any) -> None:
    """Harm: the person drank today's dose at the window at 09:00; a plan starting today adds a bottle for
    today too -- two full doses in one day."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)  # last dose on D0+9 at 09:00
    today = D0 + timedelta(days=9)
    with pytest.raises(TreatmentInvalid):
        _decide(world, at(today, 10), start_on=today.isoformat())


def test_no_take_home_supply_before_any_observed_dose(world: Any) -> None:
    """Harm: a person with an order but not a single observed methadone dose (tolerance never seen) is given
    a 7-day supply: the issue's bad path 'a take-home on methadone day 1' before day 1 even happened."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    with pytest.raises(TreatmentInvalid):
        _decide(world, at(D0, 8))


def test_back_dated_bottle_refused(world: Any) -> None:
    """Held: a bottle for a day already past is refused (no back-dated supply)."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    today = D0 + timedelta(days=9)
    with pytest.raises(TreatmentInvalid):
        _decide(world, at(today, 10), bottle_days=[(today - timedelta(days=1)).isoformat()])


def test_open_flag_must_be_acknowledged(world: Any) -> None:
    """Held: a held dose (open flag) weighs against take-homes and must be acknowledged first."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 9)
    today = D0 + timedelta(days=9)
    dose(world, "", at(today, 9), sedated=True)
    with pytest.raises(TreatmentInvalid) as exc:
        _decide(world, at(today, 10))
    assert any(e.field == "acknowledged_flags" for e in exc.value.errors)


def test_nurse_cannot_decide_take_homes(world: Any) -> None:
    """Held: only a prescriber decides take-homes."""
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    with pytest.raises(Exception) as exc:
        services.decide_take_home(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            criteria=ALL_CRITERIA,
            now=at(D0 + timedelta(days=9), 10),
        )
    assert "TreatmentInvalid" not in type(exc.value).__name__


def test_window_refuses_observed_dose_on_a_bottle_day(world: Any) -> None:
    """Held: on a day a bottle covers, the window refuses a dose unless the bottle came back unopened."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    today = D0 + timedelta(days=9)
    _decide(world, at(today, 10))
    with pytest.raises(TreatmentInvalid):
        dose(world, "30", at(today + timedelta(days=1), 9))


def test_state_limit_stricter_applies(world: Any) -> None:
    """Held: a stricter state limit (3 days) caps the supply."""
    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    plan = _decide(world, at(D0 + timedelta(days=9), 10), state_max_days="3")
    assert len(plan.bottles) == 3


def test_state_limit_nan_refused(world: Any) -> None:
    """Held: state_max_days 'NaN' is refused naming the field, never 'no limit'."""
    from keel.core.rules.inputs import InvalidInput

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    with pytest.raises(InvalidInput):
        _decide(world, at(D0 + timedelta(days=9), 10), state_max_days="NaN")
