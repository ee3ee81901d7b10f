"""Lane fix33a (review 32d holes 1, 2 and 5): the ways ordinary input could get around the fixes.
- Hole 1: a correction down after a 0 mg (not a void) and a back up; a small correction down the window
  still allows keeps the words of what the dose was lowered from (never "corrected to 0 mg").
- Hole 2: a released hold, a void, then a dose that stands again: the hold's end given back, the bottles
  recorded handed out again, the nurse told they are at home after the hold; back up to a total the window
  would not give: the keep back's words, never "no dose given today stands".
- Hole 5's family: an earlier day's keep back that stays because of a hold since (not a bottle on the
  shelf), corrected part way back up: still kept back, never "back up"."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, PlanEnd, TakeHomePlan
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services import record_dose
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_yesterday,
    held_then_released,
    methadone_with_take_home_plan,
)
from tests.review32d._setup import run_left_two_days_ago
from tests.review32d.test_hole_1 import _second_plan


def _zero_back_then_down(world: World) -> tuple[TakeHomePlan, DoseAmendment]:
    """Hole 1 with a correction to 0 mg for the void: 80 -> 0 -> 80 -> 30 on the dose of two days ago."""
    plan, dose, _today = run_left_two_days_ago(world)
    corrected(world, dose, corrected_mg="0")
    _second_plan(world)
    corrected(world, dose, corrected_mg="80")
    last = corrected(world, dose, corrected_mg="30")
    plan.refresh_from_db()
    return plan, last


def test_zero_back_then_down_is_not_said_back(world: World) -> None:
    plan, _last = _zero_back_then_down(world)
    assert "later back to 30 mg" not in plan.end_reason


def test_zero_back_then_down_names_the_window_reason(world: World) -> None:
    plan, _last = _zero_back_then_down(world)
    assert "the window would not give their 80 mg" in plan.end_reason


def test_zero_back_then_down_tells_the_nurse_to_call_back(world: World) -> None:
    _plan, last = _zero_back_then_down(world)
    told = " ".join(r.text for r in last.warnings or ())
    assert "call the person back" in told


def _void_back_then_a_little_down(world: World) -> TakeHomePlan:
    """80 -> void -> 80 -> 75 on the dose of two days ago (the window gives 80 mg bottles after 75 mg)."""
    plan, dose, _today = run_left_two_days_ago(world)
    corrected(world, dose, void=True)
    _second_plan(world)
    corrected(world, dose, corrected_mg="80")
    corrected(world, dose, corrected_mg="75")
    plan.refresh_from_db()
    return plan


def test_a_small_correction_down_keeps_the_void_in_the_words(world: World) -> None:
    plan = _void_back_then_a_little_down(world)
    assert "was voided and later corrected back to 75 mg" in plan.end_reason


def test_a_small_correction_down_keeps_the_end_corrected_back(world: World) -> None:
    plan = _void_back_then_a_little_down(world)
    assert plan.end_kind == PlanEnd.CORRECTED_BACK


def _released_hold_void_then(world: World, mg: str) -> tuple[TakeHomePlan, DoseAmendment]:
    """Today 80 mg at the window, the two bottles home; a hold later today, released; the dose voided, then
    corrected to `mg`. The plan and the last amendment."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    dose = DoseRecord.objects.filter(
        patient=world.alice, local_date=local_today(world.alice), status=DoseStatus.GIVEN
    ).latest("id")
    held_then_released(world)
    corrected(world, dose, void=True)
    last = corrected(world, dose, corrected_mg=mg)
    plan.refresh_from_db()
    return plan, last


def test_back_up_after_a_released_hold_and_void_gives_the_hold_end_back(world: World) -> None:
    plan, _last = _released_hold_void_then(world, "80")
    assert plan.end_kind == PlanEnd.HOLD


def test_back_up_after_a_released_hold_and_void_says_the_hold(world: World) -> None:
    plan, _last = _released_hold_void_then(world, "80")
    assert plan.end_reason.startswith("A dose was held on")


def test_back_up_after_a_released_hold_and_void_records_the_bottles_handed_out(world: World) -> None:
    plan, _last = _released_hold_void_then(world, "80")
    assert len(plan.bottle_mg or {}) == 2


def test_back_up_after_a_released_hold_and_void_tells_the_nurse_they_are_at_home(world: World) -> None:
    _plan, last = _released_hold_void_then(world, "80")
    told = " ".join(r.text for r in last.warnings or ())
    assert "with a person held today" in told


def test_back_up_after_a_released_hold_and_void_keeps_them_called_back(world: World) -> None:
    plan, _last = _released_hold_void_then(world, "80")
    assert len(call_back(world.alice, local_today(world.alice)).get(plan.pk, {})) == 2


def test_too_low_after_a_released_hold_and_void_never_says_no_dose_stands(world: World) -> None:
    plan, _last = _released_hold_void_then(world, "40")
    assert "no dose given today stands" not in plan.end_reason


def test_too_low_after_a_released_hold_and_void_names_the_window_reason(world: World) -> None:
    plan, _last = _released_hold_void_then(world, "40")
    assert "the window would not give" in plan.end_reason


def test_too_low_after_a_released_hold_and_void_keeps_them_called_back(world: World) -> None:
    plan, _last = _released_hold_void_then(world, "40")
    assert len(call_back(world.alice, local_today(world.alice)).get(plan.pk, {})) == 2


def _held_today_yesterdays_dose_down_then_part_up(world: World) -> tuple[TakeHomePlan, DoseAmendment]:
    """Yesterday 80 mg, bottles for today and tomorrow home; today a hold, released; yesterday's dose
    corrected to 40 mg, then to 60 mg (the window still would not give 80 mg bottles)."""
    plan, dose = handed_out_yesterday(world)
    held_then_released(world)
    corrected(world, dose, corrected_mg="40")
    last = corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan, last


def test_a_keep_back_after_a_hold_part_way_up_is_never_corrected_back(world: World) -> None:
    plan, _last = _held_today_yesterdays_dose_down_then_part_up(world)
    assert plan.end_kind != PlanEnd.CORRECTED_BACK


def test_a_keep_back_after_a_hold_part_way_up_names_the_amount(world: World) -> None:
    plan, _last = _held_today_yesterdays_dose_down_then_part_up(world)
    assert "(60 mg)" in plan.end_reason


def test_a_keep_back_after_a_hold_part_way_up_never_tells_back_up(world: World) -> None:
    _plan, last = _held_today_yesterdays_dose_down_then_part_up(world)
    told = " ".join(r.text for r in last.warnings or ())
    assert "back up" not in told
