"""Review 33a hole 1: fix32d's `reword._said_again` keeps the old days of a take-back's (or keep back's)
at-home words only when NO bottle of the plan was ever recorded brought back; when one of the two bottles
called back came back and the other never did, the end is said again from the record (`_from_record`), finds
none at home (the other's day is gone) and names both in the "none at home" words: "The bottles for <today>,
<tomorrow> were brought back" (take-back), "... were not handed out" (keep back). The bottle that went home
and never came back is recorded as brought back, or as never handed out."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import TakeHomePlan
from keel.treatment.services import record_bottles_brought_back
from tests.conftest import World
from tests.factories import corrected, handed_out_today
from tests.review33a._setup import four_bottles_home_three_days_ago


def _brought_back(world: World, plan: TakeHomePlan, iso: str) -> None:
    """The nurse records the bottle of `iso` brought back unopened (the call-back list's route)."""
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Brought back unopened at the window.",
        returned_days=[iso],
    )


def _take_back_one_back_then_again(world: World) -> tuple[TakeHomePlan, str, str]:
    """Four bottles home three days ago at 80 mg; today that dose corrected to 40 mg (today's and
    tomorrow's bottles called back); today's bottle brought back, tomorrow's never; two days later the dose
    corrected to 60 mg. The plan, today's and tomorrow's ISO days."""
    plan, dose, today = four_bottles_home_three_days_ago(world)
    corrected(world, dose, corrected_mg="40")
    _brought_back(world, plan, today.isoformat())
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=True):
        corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan, today.isoformat(), (today + timedelta(days=1)).isoformat()


def test_only_todays_bottle_was_recorded_brought_back(world: World) -> None:
    plan, today, _tomorrow = _take_back_one_back_then_again(world)
    assert plan.returned_days == [today]


def test_the_bottle_never_brought_back_is_not_said_brought_back(world: World) -> None:
    plan, _today, tomorrow = _take_back_one_back_then_again(world)
    assert f"{tomorrow} were brought back" not in plan.end_reason


def _keep_back_one_back_then_again(world: World) -> tuple[TakeHomePlan, str]:
    """Today 80 mg at the window, the two bottles (tomorrow, the day after) go home; corrected to 40 mg today
    (kept back, both called back); tomorrow its bottle is brought back, the other never; three days later
    the dose corrected to 60 mg. The plan and the day after tomorrow (ISO)."""
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="40")
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=True):
        _brought_back(world, plan, (today + timedelta(days=1)).isoformat())
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=True):
        corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan, (today + timedelta(days=2)).isoformat()


def test_keep_back_the_bottle_that_left_is_not_said_never_handed_out(world: World) -> None:
    plan, day_after = _keep_back_one_back_then_again(world)
    assert f"{day_after} were not handed out" not in plan.end_reason
