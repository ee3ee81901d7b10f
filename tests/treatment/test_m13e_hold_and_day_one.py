"""Lane fix13b (review 13c round 3): a take-home bottle for today never walks around today's unreleased hold,
and a correction of a day-one dose meets the first day's limits the window applied. One fact per test."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from keel.patients.models import PatientFlag
from keel.treatment import services
from tests.review13c.common import at, dose, order, override

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)
NOTE = "Assessed at 09:40: alert, pupils normal, breath alcohol zero"


def _on_methadone_40_days(world: Any) -> None:
    first = D - timedelta(days=40)
    order(world, "methadone", "30", at(first, 7))
    for i in range(40):
        dose(world, "30", at(first + timedelta(days=i), 9), sequence=1)


def _flags(world: Any) -> list[str]:
    return [str(f.pk) for f in PatientFlag.objects.filter(patient=world.alice, resolved_at__isnull=True)]


def _decide(world: Any, start_on: date, minute: int = 30) -> Any:
    with time_machine.travel(at(D, 9, minute), tick=False):
        return services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria={k: True for k in services.CRITERIA_KEYS},
            start_on=start_on.isoformat(),
            acknowledged_flags=_flags(world),
            now=at(D, 9, minute),
        )


def _release(world: Any) -> None:
    from keel.patients import services as patients

    flag = PatientFlag.objects.get(patient=world.alice, kind="dose_held", resolved_at__isnull=True)
    with time_machine.travel(at(D, 9, 40), tick=False):
        patients.resolve_flag(
            by=world.staff["prescriber"], patient_id=world.alice.pk, flag_id=flag.pk, note=NOTE
        )


def _amend(world: Any, dose_id: int, mg: str, hour: int = 12, day: date = D) -> Any:
    with time_machine.travel(at(day, hour), tick=False):
        return services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose_id,
            corrected_mg=mg,
            reason="corrected from the dispensing log",
            now=at(day, hour),
        )


# --- Today's hold and a take-home bottle for today ----------------------------------------------------------


def test_the_refusal_of_todays_bottle_names_the_hold(world: Any) -> None:
    _on_methadone_40_days(world)
    dose(world, "", at(D, 9), sedated=True, sequence=1)
    with pytest.raises(services.TreatmentInvalid) as refused:
        _decide(world, D)
    assert refused.value.errors[0].field == "start_on"
    assert "no prescriber has released the hold" in refused.value.errors[0].reason


def test_while_todays_hold_stands_no_bottles_from_tomorrow_either(world: Any) -> None:
    """The bottles would leave the clinic now with a person held for sedation or intoxication."""
    _on_methadone_40_days(world)
    dose(world, "", at(D, 9), sedated=True, sequence=1)
    with pytest.raises(services.TreatmentInvalid) as refused:
        _decide(world, D + timedelta(days=1))
    assert "no prescriber has released the hold" in refused.value.errors[0].reason


def test_after_the_hold_is_released_bottles_from_tomorrow_are_given(world: Any) -> None:
    _on_methadone_40_days(world)
    dose(world, "", at(D, 9), sedated=True, sequence=1)
    _release(world)
    assert _decide(world, D + timedelta(days=1), minute=45) is not None


def test_after_the_prescriber_releases_the_hold_todays_bottle_is_given(world: Any) -> None:
    _on_methadone_40_days(world)
    dose(world, "", at(D, 9), sedated=True, sequence=1)
    _release(world)
    plan = _decide(world, D, minute=50)
    assert D.isoformat() in plan.bottles


def test_a_hold_on_buprenorphine_today_also_stops_todays_methadone_bottle(world: Any) -> None:
    _on_methadone_40_days(world)
    order(world, "buprenorphine", "8", at(D, 7))
    dose(world, "", at(D, 9), medication="buprenorphine", sedated=True, sequence=1)
    with pytest.raises(services.TreatmentInvalid):
        _decide(world, D)


def test_without_a_hold_todays_bottle_is_given(world: Any) -> None:
    _on_methadone_40_days(world)
    plan = _decide(world, D)
    assert D.isoformat() in plan.bottles


# --- A correction of a day-one dose -----------------------------------------------------------------------


def test_a_day_one_correction_within_the_first_dose_limit_is_saved(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    given = dose(world, "25", at(D, 9), sequence=1).dose
    assert _amend(world, given.pk, "30").corrected_mg == 30


def test_a_day_one_correction_past_the_first_dose_limit_is_refused(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    given = dose(world, "30", at(D, 9), sequence=1).dose
    with pytest.raises(services.TreatmentInvalid) as refused:
        _amend(world, given.pk, "35")
    assert "first-dose limit" in refused.value.errors[0].reason


def test_a_correction_of_the_days_second_dose_meets_the_first_day_total(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    dose(world, "30", at(D, 9), sequence=1)
    second = dose(world, "5", at(D, 12), sequence=2).dose
    with pytest.raises(services.TreatmentInvalid) as refused:
        _amend(world, second.pk, "15", hour=14)
    assert "day-one limit" in refused.value.errors[0].reason


def test_a_day_one_correction_with_the_prescribers_override_for_that_day_is_saved(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    given = dose(world, "30", at(D, 9), sequence=1).dose
    override(world, at(D, 11), medication="methadone", mg="50")
    assert _amend(world, given.pk, "45").corrected_mg == 45


def test_a_day_one_correction_downward_is_never_refused(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    override(world, at(D, 8), medication="methadone", mg="50")
    given = dose(world, "45", at(D, 9), sequence=1).dose
    from keel.treatment.models import DoseOverride

    # the override no longer covers 40 mg (here: its cap lowered in the record); lowering is still saved
    DoseOverride.objects.filter(patient=world.alice).update(max_total_mg=30)
    assert _amend(world, given.pk, "40").corrected_mg == 40


def test_a_later_day_correction_is_not_held_to_the_day_one_limits(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    for i in range(3):  # fix34c: the first raise waits the days between increases from the first dose
        dose(world, "30", at(D + timedelta(days=i), 9), sequence=1)
    day4 = D + timedelta(days=3)
    order(world, "methadone", "40", at(day4, 8))  # the dose given follows the order
    given = dose(world, "35", at(day4, 9), sequence=1).dose
    assert _amend(world, given.pk, "40", day=day4).corrected_mg == 40


def test_a_buprenorphine_day_one_correction_above_the_day_one_limit_is_refused(world: Any) -> None:
    order(world, "buprenorphine", "8", at(D, 7))
    override(world, at(D, 8), medication="buprenorphine", kind="start", mg="16")  # fix34c: the day's total
    given = dose(world, "8", at(D, 9), medication="buprenorphine", sequence=1).dose
    with pytest.raises(services.TreatmentInvalid) as refused:
        _amend(world, given.pk, "16")
    assert "first dose day" in refused.value.errors[0].reason
