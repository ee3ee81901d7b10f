"""Review 22o: one variant of each hole fixed (fix22o): bottles follow the day's given total."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from keel.patients.models import local_today, zone_of
from keel.treatment.models import Medication
from keel.treatment.queries.take_home_plans import bottles_at_home_above, plan_days
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan
from tests.review22o.test_holes import _handed_out

pytestmark = pytest.mark.django_db


def _amend(world: World, dose_id: int, mg: str | None, why: str) -> None:
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose_id,
        corrected_mg=mg,
        void=mg is None,
        reason=why,
    )


def test_a_small_correction_down_keeps_bottles_the_window_allows(world: World) -> None:
    """Hole 1 variant: 80 corrected to 75 (a 5 mg step to 80 tomorrow, within the titration step): the
    bottles stay at 80 mg and the plan goes on."""
    plan, dose, tomorrow = _handed_out(world)
    _amend(world, dose.pk, "75", "Pharmacy count shows 75 mg dispensed; the record is corrected to match.")
    plan.refresh_from_db()
    assert plan.ended_at is None and Decimal(plan.bottle_mg[tomorrow]) == 80


def test_correction_to_zero_then_to_a_near_amount_hands_bottles_out_again(world: World) -> None:
    """Hole 2 variant: 0 (a slip) then 75: the bottles are recorded again, judged against 75."""
    plan, dose, tomorrow = _handed_out(world)
    _amend(world, dose.pk, "0", "Corrected to zero mg: entered on the wrong person's dose row.")
    plan.refresh_from_db()
    assert tomorrow not in plan.bottle_mg
    _amend(world, dose.pk, "75", "The zero was a slip; the pharmacy count shows 75 mg dispensed here.")
    found = bottles_at_home_above(world.alice, Medication.METHADONE, date.fromisoformat(tomorrow), Decimal(0))
    assert [mg for _d, mg in found] == [Decimal(80), Decimal(80)]


def test_a_routine_qtc_says_nothing_of_bottles(world: World) -> None:
    """Hole 3 variant: a routine QTc (420 ms) with bottles at home adds no bottle words; the plan stands."""
    plan, _dose, _tomorrow = _handed_out(world)
    row = record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=420)
    plan.refresh_from_db()
    assert "bottle" not in str(row.decision).lower() and plan.ended_at is None


def test_a_hold_with_no_bottles_at_home_names_none(world: World) -> None:
    """Hole 4 variant: the dose that handed them out voided (bottles taken back), then a hold: nothing is
    at home, so the hold names no bottles."""
    _plan, dose, _tomorrow = _handed_out(world)
    _amend(world, dose.pk, None, "Recorded in error: she left before drinking, the cup was poured out.")
    outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    assert "bottles at home" not in str(outcome.decision).lower(), outcome.decision


def test_hold_after_a_void_keeps_no_day_uncovered_by_a_bottle(world: World) -> None:
    """Hole 5 variant: the void (not a 0): the hold ends the plan before tomorrow too."""
    plan, dose, tomorrow = _handed_out(world)
    _amend(world, dose.pk, None, "Recorded in error: she left before drinking, the cup was poured out.")
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    plan.refresh_from_db()
    assert date.fromisoformat(tomorrow) not in plan_days(plan), (plan.ended_on, plan.bottle_mg)


def test_a_split_dose_second_part_hands_out_the_bottles_the_first_kept_back(world: World) -> None:
    """Hole 6 variant: 40 then 40 (three hours apart, past the re-dose interval) on 80 mg:
    the first part (judged against 40) keeps the run back; the second (the day's total 80) re-decides it and
    the 80 mg bottles go home, the plan going on."""
    alice, nurse = world.alice, world.staff["nurse"]
    morning = datetime.combine(local_today(alice), time(8), tzinfo=zone_of(alice))
    plan, tomorrow = methadone_with_take_home_plan(world, decided_at=morning - timedelta(hours=1))
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="40", now=morning)
    plan.refresh_from_db()
    assert plan.ended_at is not None and tomorrow.isoformat() not in plan.bottle_mg
    outcome = record_dose(by=nurse, patient_id=alice.pk, amount_mg="40", now=morning + timedelta(hours=3))
    plan.refresh_from_db()
    assert plan.ended_at is None and Decimal(plan.bottle_mg[tomorrow.isoformat()]) == 80, outcome.decision
    assert tomorrow in plan_days(plan)


def test_a_correction_down_then_back_up_lets_the_run_go_home_again(world: World) -> None:
    """Hole 1 variant: 80 corrected to 30 keeps the run back (the plan ends); corrected back to 80 the
    day's total allows the 80 mg bottles again: the plan goes on with them recorded."""
    plan, dose, tomorrow = _handed_out(world)
    _amend(world, dose.pk, "30", "Pharmacy count shows 30 mg dispensed, not 80 mg; corrected to match.")
    plan.refresh_from_db()
    assert plan.ended_at is not None and tomorrow not in plan.bottle_mg
    _amend(world, dose.pk, "80", "The 30 mg was the wrong row's count; she drank the full 80 mg here.")
    plan.refresh_from_db()
    assert plan.ended_at is None and Decimal(plan.bottle_mg[tomorrow]) == 80


def test_a_correction_after_a_hold_leaves_the_bottles_at_home_covered(world: World) -> None:
    """Hole 4 variant: held the same day after the bottles went home, then the dose corrected to 75: the
    run at home stays covered with its bottles recorded (a hold is no reason to take back what she holds)."""
    plan, dose, tomorrow = _handed_out(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    _amend(world, dose.pk, "75", "Pharmacy count shows 75 mg dispensed; the record is corrected to match.")
    plan.refresh_from_db()
    assert date.fromisoformat(tomorrow) in plan_days(plan) and tomorrow in plan.bottle_mg
