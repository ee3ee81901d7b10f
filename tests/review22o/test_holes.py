"""Review 22o: holes left in the take-home bottles (fix22n). Each test fails on the branch as reviewed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from keel.treatment.models import DoseRecord, Medication, TakeHomePlan
from keel.treatment.queries.take_home_plans import bottles_at_home_above, plan_days
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import methadone_with_take_home_plan

pytestmark = pytest.mark.django_db


def _handed_out(world: World, mg: str = "80") -> tuple[TakeHomePlan, DoseRecord, str]:
    """Alice on methadone 80 mg for a week; a plan of two bottles from tomorrow; today's 80 mg observed dose
    hands them out (their mg recorded)."""
    alice, nurse = world.alice, world.staff["nurse"]
    plan, tomorrow = methadone_with_take_home_plan(world, decided_at=timezone.now())
    outcome = record_dose(by=nurse, patient_id=alice.pk, amount_mg=mg)
    plan.refresh_from_db()
    if mg != "80":
        return plan, outcome.dose, tomorrow.isoformat()
    assert Decimal(plan.bottle_mg[tomorrow.isoformat()]) == 80, plan.bottle_mg  # handed out (the premise)
    return plan, outcome.dose, tomorrow.isoformat()


def test_correction_to_a_lower_amount_leaves_bottles_unjudged(world: World) -> None:
    """Hole 1: the dose that handed out two 80 mg bottles is corrected to 30 mg (she was given 30). Under
    the corrected record the window would not give 80 mg tomorrow (a 50 mg step), yet the bottles stay
    recorded at 80 mg, never put to the verdict again: only a void or a correction to 0 is looked at."""
    plan, dose, tomorrow = _handed_out(world)
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg="30",
        reason="Pharmacy count shows 30 mg dispensed, not 80 mg; the record is corrected to match.",
    )
    plan.refresh_from_db()
    still = Decimal(plan.bottle_mg.get(tomorrow, "0"))
    assert still <= 30 or plan.ended_at is not None, (plan.bottle_mg, plan.ended_at)


def test_correction_to_zero_then_back_loses_bottles_at_home(world: World) -> None:
    """Hole 2: a correction to 0 mg (a slip) takes the bottles back; the correction back to 80 mg does not
    restore them, and no dose will hand them out again (tomorrow is a bottle day). The record says no
    bottles at home, so a lowering after a QTc does not warn of the 80 mg bottles she holds."""
    plan, dose, tomorrow = _handed_out(world)
    for mg, why in (
        ("0", "Corrected to zero mg: the dose was spilled at the window before she drank it."),
        ("80", "The earlier zero was entered on the wrong dose; she drank the full 80 mg here."),
    ):
        amend_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, dose_id=dose.pk, corrected_mg=mg, reason=why
        )
    plan.refresh_from_db()

    found = bottles_at_home_above(
        world.alice, Medication.METHADONE, date.fromisoformat(tomorrow), Decimal(40)
    )
    assert found, plan.bottle_mg


def test_late_qtc_names_no_bottles_at_home(world: World) -> None:
    """Hole 3: a QTc of 540 ms recorded after two 80 mg bottles went home: the window will refuse 80 mg from
    now on (the order has no QTc reason), a new order warns of bottles at home, but the QTc, the event that
    makes them unsafe, tells no one; the plan stands."""
    plan, _dose, _tomorrow = _handed_out(world)
    row = record_qtc(by=world.staff["nurse"], patient_id=world.alice.pk, qtc_ms=540)
    plan.refresh_from_db()
    said = str(row.decision).lower() + str(getattr(row, "warnings", "")).lower()
    assert "bottle" in said or plan.ended_at is not None, row.decision


def test_hold_after_bottles_went_home_tells_no_one(world: World) -> None:
    """Hole 4: she comes back the same day (second visit) intoxicated; the nurse holds. The run already at
    home stays covered (rightly: the bottles are in her hands), but the hold's check does not say that two
    80 mg bottles are at home with an intoxicated person, the one thing the nurse must act on."""
    _handed_out(world)
    outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    said = str(outcome.decision).lower()
    assert "bottle" in said, outcome.decision


def test_hold_after_a_correction_to_zero_keeps_days_no_bottle_covers(world: World) -> None:
    """Hole 5: today's dose is corrected to 0 mg (not given), which takes its bottles back (no bottle went
    home with it); she is then held. The hold reads "a dose was given today" without the correction to 0
    (`suspend_take_home_plans` excludes voids only), so it keeps tomorrow's run covered as if the bottles
    were at home: tomorrow is a take-home day with no bottle recorded, and the window turns her away."""
    plan, dose, tomorrow = _handed_out(world)
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg="0",
        reason="Corrected to zero mg: the cup was spilled before she drank any of it.",
    )
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    plan.refresh_from_db()

    covered = date.fromisoformat(tomorrow) in plan_days(plan)
    assert not covered or tomorrow in plan.bottle_mg, (plan.ended_on, plan.bottle_mg)


def test_a_lower_dose_today_hands_out_bottles_judged_against_yesterday(world: World) -> None:
    """Hole 6: on 80 mg for a week, today the nurse gives 30 mg (she asked for less; less than ordered is
    allowed). The bottles of the run from tomorrow go home at 80 mg: `_bottles_going_home` judges them
    against max(yesterday's 80, today's 30), so the step reads 0. The window tomorrow, its last observed
    dose 30 mg, would refuse 80 mg (a 50 mg step over the 10 mg titration step): exactly the verdict the
    bottle was to meet (`bottle_amounts` with today's 30 says so)."""
    plan, _dose, tomorrow = _handed_out(world, "30")
    still = Decimal(plan.bottle_mg.get(tomorrow, "0"))
    assert still <= 40 or plan.ended_at is not None, (plan.bottle_mg, plan.ended_at)
