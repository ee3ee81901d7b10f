"""Lane merge23: fix23b's ends of a run that never left the clinic (review 23b holes 2 and 3) on bot23's one
path, `redecide_bottles` for a correction of any day's methadone dose (review 22t hole 5).

Today's dose voided or corrected to 0: the plan ends today (`NOTHING_GIVEN`), an end a dose given later today
undoes. An earlier day's dose: the plan ends on that day (`VOIDED_NOT_HANDED_OUT`) when the run holds today or
later, never undone by a dose or a later correction. The nurse is told what the record took back (bot23's
`TAKEN_BACK`). One fact per assertion; dates relative to today."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.services.doses.bottles import NOTHING_GIVEN, TAKEN_BACK, VOIDED_HANDED_OVER
from tests.conftest import World
from tests.factories import prescriber_ends
from tests.review22t.test_fixes23 import _amend, _fhir, _on_80_handed_out_on
from tests.review22t.test_holes import _dose, _handed_out_at_80

pytestmark = pytest.mark.django_db
RELAPSE = "Relapse reported today: no take-home doses until the team reviews"


def _ended(plan: TakeHomePlan) -> TakeHomePlan:
    plan.refresh_from_db()
    return plan


# An earlier day's dose: corrected to 0 as a void, the plan ends on its day


def test_a_correction_of_yesterdays_dose_to_zero_ends_the_plan_on_its_day(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning, "0")
    assert _ended(plan).ended_on == dose.local_date


def test_a_correction_of_yesterdays_dose_to_zero_tells_the_nurse_the_bottles_taken_back(world: World) -> None:
    _, dose, morning = _on_80_handed_out_on(world, 1)
    assert [r.template for r in _amend(world, dose, morning, "0").warnings] == [TAKEN_BACK]


def test_the_end_of_a_void_of_yesterdays_dose_says_which_bottles_and_which_dose(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning)
    today = morning.date()
    days = f"{today.isoformat()}, {(today + timedelta(days=1)).isoformat()}"
    # lane fix34a (the lead's decision on review 34a question 1): bottles that left are never "not handed out"
    assert _ended(plan).end_reason == VOIDED_HANDED_OVER.format(days=days, day=dose.local_date.isoformat())


def test_after_a_correction_of_yesterdays_dose_to_zero_the_window_doses_her_today(world: World) -> None:
    _, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning, "0")
    assert _dose(world, "80", morning + timedelta(hours=1)).amount_mg == 80


def test_a_dose_today_never_undoes_the_end_of_a_void_of_yesterdays_dose(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning)
    _dose(world, "80", morning + timedelta(hours=1))
    assert _ended(plan).ended_on == dose.local_date


def test_a_void_of_the_day_before_yesterdays_dose_ends_the_plan_on_its_day(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 2)  # its run: yesterday and today
    _amend(world, dose, morning)
    assert _ended(plan).ended_on == dose.local_date


def test_a_void_whose_run_is_wholly_past_leaves_the_plan_standing(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 3)  # its run: the two days before today
    _amend(world, dose, morning)
    assert _ended(plan).ended_on is None


def test_a_void_whose_run_is_wholly_past_still_takes_its_bottles_back(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 3)
    _amend(world, dose, morning)
    assert sorted(_ended(plan).bottles_taken_back) == sorted(plan.bottles)


def test_a_void_of_yesterdays_dose_leaves_a_plan_decided_today_standing(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    TakeHomePlan.objects.filter(pk=plan.pk).delete()
    today = morning.date()
    decided = TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=morning,
        days_in_treatment=10,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=2,
        bottles=[today.isoformat(), (today + timedelta(days=1)).isoformat()],
        bottle_mg={today.isoformat(): "80.00", (today + timedelta(days=1)).isoformat(): "80.00"},
        enrollment=world.alice.enrollments.order_by("-started_on").first(),
    )
    _amend(world, dose, morning + timedelta(hours=1))
    assert _ended(decided).ended_on is None


def test_fhir_says_a_bottle_of_a_void_of_yesterdays_dose_was_entered_in_error(world: World) -> None:
    _, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning)
    (found,) = _fhir(world, morning + timedelta(hours=1))
    assert found["status"] == "entered-in-error"


# "Nothing given" is undone only by a dose given that same day


def _nothing_given_yesterday(world: World) -> tuple[TakeHomePlan, DoseRecord, datetime]:
    """Yesterday's 80 mg (the run for today and tomorrow out) corrected to 0 yesterday at 09:00."""
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning - timedelta(hours=23), "0")
    plan.refresh_from_db()
    assert plan.ended_on == dose.local_date, "setup: nothing given yesterday ended the plan yesterday"
    assert plan.end_reason.startswith(NOTHING_GIVEN.split("{days}")[0]), "setup: as nothing given"
    return plan, dose, morning


def test_a_correction_back_up_the_next_day_leaves_the_nothing_given_end(world: World) -> None:
    plan, dose, morning = _nothing_given_yesterday(world)
    _amend(world, dose, morning, "80")
    assert _ended(plan).ended_on == dose.local_date


def test_a_correction_back_up_the_next_day_hands_no_bottle_out(world: World) -> None:
    plan, dose, morning = _nothing_given_yesterday(world)
    _amend(world, dose, morning, "80")
    assert morning.date().isoformat() not in _ended(plan).bottle_mg


# Today's dose corrected to 0: the plan ends today; a prescriber's end of it stands


def test_todays_dose_corrected_to_zero_ends_the_plan_as_nothing_given(world: World) -> None:
    plan, dose, morning = _handed_out_at_80(world)
    _amend(world, dose, morning + timedelta(hours=1), "0")
    assert _ended(plan).end_reason.startswith(NOTHING_GIVEN.split("{days}")[0])


def _ended_by_prescriber_after_zero(world: World) -> tuple[TakeHomePlan, datetime]:
    plan, dose, morning = _handed_out_at_80(world)
    _amend(world, dose, morning + timedelta(hours=1), "0")
    prescriber_ends(world, plan, RELAPSE, now=morning + timedelta(hours=2))
    _dose(world, "80", morning + timedelta(hours=3))
    return plan, morning


def test_a_prescribers_end_of_a_nothing_given_plan_is_never_undone_by_a_dose(world: World) -> None:
    plan, morning = _ended_by_prescriber_after_zero(world)
    assert morning.date() + timedelta(days=1) not in plan_days(_ended(plan))


def test_fhir_after_a_prescribers_end_of_a_nothing_given_plan_is_not_preparation(world: World) -> None:
    _plan, morning = _ended_by_prescriber_after_zero(world)
    (found,) = _fhir(world, morning + timedelta(hours=4))
    # lane fhir27: was "entered-in-error"; FHIR now reads what the record holds as handed out as
    # `bottles_at_home`, the supply check and the call-back list do (`left_on_record`: a standing dose that
    # day, the 80 mg given after the end), and they hold this bottle at home. The lead decides (lane report)
    assert found["status"] == "completed"
