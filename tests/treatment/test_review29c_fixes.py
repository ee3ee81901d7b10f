"""Lane fix29c: review 29c's holes, neighbouring cases (another order of the steps, New York and Auckland, a
dose voided instead of corrected to 0): a hold on any day from the dose's day to today stops a correction
restarting the plan (`held_since`); a take-back written over a prescriber's end gives it back as a keep
back does (`redecide.over_earlier_on`); the words of an end kept after a correction back up follow the dose; a
bottle on the shelf is never named "not handed out"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, DoseRecord, PlanEnd, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.queries.window import dosing_list
from keel.treatment.services.doses.bottles import BOTTLE_NAMED_TODAY, HANDED_OUT, TAKE_BACK_UNDONE
from keel.treatment.services.doses.bottles.reasons import (
    CORRECTED_BACK_CALL_BACK_DOWN,
    CORRECTION_CALL_BACK,
)
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_yesterday,
    held_then_released,
    prescriber_ends,
    program_in_zone_at_noon_two_days_ago,
)
from tests.review29c._setup import run_left_two_days_ago

STOP = "Relapse reported by the person; the prescriber stops the bottles."


@pytest.fixture(params=["America/New_York", "Pacific/Auckland"])
def zone(request: pytest.FixtureRequest, world: World) -> Iterator[str]:
    """The program in `request.param`, the clock pinned at noon there two days ago (inside dosing hours)."""
    yield from program_in_zone_at_noon_two_days_ago(world, str(request.param))


def _templates(amendment: DoseAmendment) -> list[str]:
    return [r.template for r in amendment.warnings]


# Hole 2: a hold on a day between the dose's day and today


def _held_between(world: World, *, hold_first: bool) -> tuple[TakeHomePlan, DoseAmendment, date]:
    """The run of two days ago; its dose corrected to 40 and a hold yesterday (in either order); today the
    dose corrected back to 80."""
    plan, dose, today = run_left_two_days_ago(world)
    if not hold_first:
        corrected(world, dose, corrected_mg="40")
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        held_then_released(world)
    if hold_first:
        corrected(world, dose, corrected_mg="40")
    back = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan, back, today


@pytest.mark.parametrize("hold_first", [False, True])
def test_hole2_today_not_covered_again(world: World, zone: str, hold_first: bool) -> None:
    plan, _back, today = _held_between(world, hold_first=hold_first)
    assert today not in plan_days(plan)


@pytest.mark.parametrize("hold_first", [False, True])
def test_hole2_never_says_take_back_undone(world: World, zone: str, hold_first: bool) -> None:
    _plan, back, _today = _held_between(world, hold_first=hold_first)
    assert TAKE_BACK_UNDONE not in _templates(back)


def test_hole2_bottles_stay_on_call_back_list(world: World, zone: str) -> None:
    plan, _back, today = _held_between(world, hold_first=False)
    assert sorted(call_back(world.alice, today).get(plan.pk, {})) == [today, today + timedelta(days=1)]


def test_hole2_without_a_hold_the_take_back_is_undone(world: World, zone: str) -> None:
    plan, dose, today = run_left_two_days_ago(world)
    corrected(world, dose, corrected_mg="40")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert today in plan_days(plan)


# Hole 1: a take-back written over a prescriber's end


def _take_back_over_end(world: World) -> tuple[TakeHomePlan, DoseAmendment, date]:
    plan, dose, today = run_left_two_days_ago(world)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    corrected(world, dose, corrected_mg="40")
    back = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan, back, today


def test_hole1_take_back_prescribers_end_given_back(world: World, zone: str) -> None:
    plan, _back, today = _take_back_over_end(world)
    assert (plan.ended_on, plan.end_reason) == (today, STOP)


def test_hole1_take_back_today_covered_again(world: World, zone: str) -> None:
    plan, _back, today = _take_back_over_end(world)
    assert today in plan_days(plan)


def test_hole1_take_back_nurse_told_undone_and_called_back_never_handed_out(world: World, zone: str) -> None:
    _plan, back, _today = _take_back_over_end(world)
    assert sorted(_templates(back)) == sorted([TAKE_BACK_UNDONE, CORRECTION_CALL_BACK])


def test_hole1_take_back_call_back_names_tomorrow_only(world: World, zone: str) -> None:
    plan, _back, today = _take_back_over_end(world)
    assert sorted(call_back(world.alice, today).get(plan.pk, {})) == [today + timedelta(days=1)]


def test_hole1_take_back_after_hold_between_end_stands(world: World, zone: str) -> None:
    plan, dose, today = run_left_two_days_ago(world)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    corrected(world, dose, corrected_mg="40")
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        held_then_released(world)
    back = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert (today in plan_days(plan), HANDED_OUT in _templates(back)) == (False, False)


# Hole 3: a keep back over a prescriber's end, a hold, a correction back up


def _kept_back_then_hold(world: World) -> tuple[TakeHomePlan, DoseAmendment, date]:
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    corrected(world, dose, corrected_mg="40")
    held_then_released(world)
    back = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan, back, today


def test_hole3_end_stands_and_says_corrected_down_and_back_up(world: World, zone: str) -> None:
    plan, _back, _today = _kept_back_then_hold(world)
    assert "was corrected down and later back up to 80 mg" in plan.end_reason


def test_hole3_prescribers_end_kept_in_the_words(world: World, zone: str) -> None:
    plan, _back, _today = _kept_back_then_hold(world)
    assert STOP in plan.end_reason


def test_hole3_today_not_covered(world: World, zone: str) -> None:
    plan, _back, today = _kept_back_then_hold(world)
    assert today not in plan_days(plan)


def test_hole3_nurse_told_to_call_back(world: World, zone: str) -> None:
    _plan, back, _today = _kept_back_then_hold(world)
    assert CORRECTED_BACK_CALL_BACK_DOWN in _templates(back)


def test_hole3_end_kind_corrected_back(world: World, zone: str) -> None:
    plan, _back, _today = _kept_back_then_hold(world)
    assert plan.end_kind == PlanEnd.CORRECTED_BACK


# Hole 4: a bottle on the shelf, then the dose it went home with corrected to 0


def test_hole4_end_says_on_the_shelf(world: World, zone: str) -> None:
    plan, dose = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    record_dose(
        by=world.staff["nurse"],
        patient_id=alice.pk,
        amount_mg="80",
        bottle_returned=True,
        now=timezone.now() - timedelta(hours=1),
    )
    corrected(world, dose, corrected_mg="0")
    plan.refresh_from_db()
    assert plan.end_reason.startswith(f"The bottles for {today.isoformat()} were brought back and stay")


def test_hole4_void_instead_of_zero_never_says_not_handed_out(world: World, zone: str) -> None:
    plan, dose = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    record_dose(
        by=world.staff["nurse"],
        patient_id=alice.pk,
        amount_mg="80",
        bottle_returned=True,
        now=timezone.now() - timedelta(hours=1),
    )
    corrected(world, dose, void=True)
    plan.refresh_from_db()
    assert "were not handed out" not in plan.end_reason


def test_hole4_window_dose_of_today_stands(world: World, zone: str) -> None:
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        amount_mg="80",
        bottle_returned=True,
        now=timezone.now() - timedelta(hours=1),
    )
    corrected(world, dose, corrected_mg="0")
    assert DoseRecord.objects.filter(patient=world.alice, local_date=today).count() == 1


# Hole 5: the window and the call-back list agree about today's bottle after a correction to 0


def _zeroed_yesterday(world: World) -> tuple[TakeHomePlan, date]:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="0")
    return plan, local_today(world.alice)


def _window_dose(world: World, *, bottle_returned: bool) -> list[str]:
    saved = record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        amount_mg="80",
        bottle_returned=bottle_returned,
        now=timezone.now() - timedelta(hours=1),
    )
    return [r.template for r in saved.decision.reasons]


def test_hole5_row_offers_todays_bottle_back(world: World, zone: str) -> None:
    _plan, _today = _zeroed_yesterday(world)
    row = next(r for r in dosing_list(world.staff["nurse"]) if r.patient.pk == world.alice.pk)
    assert row.bottle_held is True


def test_hole5_bottle_brought_back_leaves_the_call_back_list(world: World, zone: str) -> None:
    plan, today = _zeroed_yesterday(world)
    _window_dose(world, bottle_returned=True)
    assert sorted(call_back(world.alice, today).get(plan.pk, {})) == [today + timedelta(days=1)]


def test_hole5_bottle_brought_back_recorded_on_its_plan(world: World, zone: str) -> None:
    plan, today = _zeroed_yesterday(world)
    _window_dose(world, bottle_returned=True)
    plan.refresh_from_db()
    assert today.isoformat() in (plan.returned_days or [])


def test_hole5_dose_without_the_bottle_tells_the_nurse_to_ask(world: World, zone: str) -> None:
    _zeroed_yesterday(world)
    assert BOTTLE_NAMED_TODAY in _window_dose(world, bottle_returned=False)
