"""Review 32d hole 2: today's 80 mg dose hands out two bottles; a hold is recorded later today (the hold's end
keeps the run covered); the dose is voided (a "nothing given" end written over the hold's end); then the
dose is corrected back to 80 mg, the same day. The bottles are at home (the call-back list names them and the
nurse is told to call back), yet the end on the record page and the API still says they "were not handed out:
no dose given today stands", and "until a dose given today hands them out"."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services import record_dose
from tests.conftest import World
from tests.factories import corrected, held_then_released, methadone_with_take_home_plan


def _dose_hold_void_back(world: World) -> TakeHomePlan:
    """Plan decided yesterday (bottles tomorrow and the day after); today 80 mg at the window, the bottles go
    home; a hold later today, released; the dose voided; then corrected back to 80 mg. The plan."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    dose = DoseRecord.objects.filter(
        patient=world.alice, local_date=local_today(world.alice), status=DoseStatus.GIVEN
    ).latest("id")
    held_then_released(world)
    corrected(world, dose, void=True)
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan


def test_the_bottles_are_on_the_call_back_list(world: World) -> None:
    plan = _dose_hold_void_back(world)
    assert len(call_back(world.alice, local_today(world.alice)).get(plan.pk, {})) == 2


def test_end_never_says_no_dose_stands_when_one_does(world: World) -> None:
    plan = _dose_hold_void_back(world)
    assert "no dose given today stands" not in plan.end_reason


def test_end_never_says_not_handed_out_when_they_are_at_home(world: World) -> None:
    plan = _dose_hold_void_back(world)
    assert "were not handed out" not in plan.end_reason


def _dose_hold_void_new_dose(world: World) -> TakeHomePlan:
    """As above, but after the void the nurse records a new 80 mg dose at the window (another route to a dose
    that stands today). The plan."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    dose = DoseRecord.objects.filter(
        patient=world.alice, local_date=local_today(world.alice), status=DoseStatus.GIVEN
    ).latest("id")
    held_then_released(world)
    corrected(world, dose, void=True)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    plan.refresh_from_db()
    return plan


def test_end_after_a_new_dose_never_says_no_dose_stands(world: World) -> None:
    plan = _dose_hold_void_new_dose(world)
    assert "no dose given today stands" not in plan.end_reason
