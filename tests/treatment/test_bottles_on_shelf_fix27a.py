"""Lane fix27a (review 27a): a bottle recorded brought back (`returned_days`) is a fact. A later correction
or dose never has the plan cover its day again (the plan stays ended: the day is a clinic day for every
reader) and the nurse is told not to hand it out again (`ON_SHELF`), never "handed out" nor "the plan goes
on". A voided end written over a prescriber's end gives that end back when the dose is corrected back up.
Dates relative to today."""

from __future__ import annotations

from datetime import timedelta

from keel.audit.models import AuditEvent
from keel.patients.models import local_today
from keel.treatment.models import PlanEnd
from keel.treatment.queries import call_back, plan_days
from keel.treatment.services.doses.bottles import (
    CORRECTED_BACK_CALL_BACK_DOWN,
    CORRECTION_CALL_BACK,
    HANDED_OUT,
    ON_SHELF,
    TAKE_BACK_UNDONE,
)
from keel.treatment.services.take_homes import record_bottles_brought_back
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, prescriber_ends
from tests.review24b.test_holes import _correct, _three_bottles_from_yesterday

BACK = "Bottle brought back unopened to the window; seal intact"
RELAPSE = "Relapse reported at group; she comes to the window daily from tomorrow"


def test_undoing_a_take_back_clears_its_kind_with_the_end(world: World) -> None:
    """T-2's dose corrected to 40 takes back today's and tomorrow's bottles (`PlanEnd.TAKEN_BACK`); back to
    80 undoes it: the plan runs again, with no end kind left on it."""
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.TAKEN_BACK
    undone = _correct(world, today - timedelta(days=2), "80")
    plan.refresh_from_db()
    assert [r.template for r in undone.warnings] == [TAKE_BACK_UNDONE]
    assert plan.ended_on is None and plan.end_kind == ""


def test_a_take_back_is_not_undone_over_a_bottle_brought_back(world: World) -> None:
    """As above, but today's bottle was brought back in between (the nurse recorded it): correcting T-2 back
    to 80 leaves the plan ended yesterday (today a clinic day), tomorrow's bottle still called back, and
    tells the nurse the shelf bottle stays at the clinic, audited."""
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason=BACK,
        returned_days=[today.isoformat()],
    )
    said = _correct(world, today - timedelta(days=2), "80")
    plan.refresh_from_db()
    # lane fix30a (review 30a hole 3): the take-back's words follow the 80 mg that stands, tomorrow's bottle
    # called back, today's on the shelf
    assert [r.template for r in said.warnings] == [CORRECTED_BACK_CALL_BACK_DOWN, ON_SHELF]
    assert today.isoformat() in " ".join(r.text for r in said.warnings)
    assert plan.ended_on == today - timedelta(days=1)
    assert today not in plan_days(plan)
    assert set(call_back(world.alice, today)[plan.pk]) == {today + timedelta(days=1)}
    assert AuditEvent.objects.filter(
        target_type="take_home_plan",
        target_id=str(plan.pk),
        reason="plan not resumed: bottles brought back stay at the clinic",
    ).exists()


def test_yesterdays_dose_back_up_tells_the_nurse_the_bottles_stay_on_the_shelf(world: World) -> None:
    """Review 27a hole 2's sequence: the correction back up says `ON_SHELF` naming both bottles, never
    "nobody needs to call the person back" nor "handed out"."""
    plan, dose = handed_out_yesterday(world)
    run = sorted(plan.bottle_mg)
    corrected(world, dose, corrected_mg="0")
    record_bottles_brought_back(
        by=world.staff["nurse"], patient_id=world.alice.pk, plan_id=plan.pk, reason=BACK, returned_days=run
    )
    said = corrected(world, dose, corrected_mg="80")
    templates = [r.template for r in said.warnings]
    assert templates == [ON_SHELF]
    assert all(day in said.warnings[0].text for day in run)
    assert TAKE_BACK_UNDONE not in templates and HANDED_OUT not in templates


def test_a_slip_undone_gives_the_prescribers_end_back_whole(world: World) -> None:
    """Review 27a hole 4's sequence: the prescriber's end from tomorrow comes back as it was (day, kind,
    reason, by), and the nurse is told only today's bottle is covered again (tomorrow's stays called
    back)."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    tomorrow = today + timedelta(days=1)
    prescriber_ends(world, plan, RELAPSE, from_day=tomorrow.isoformat())
    plan.refresh_from_db()
    before = (plan.ended_on, plan.end_kind, plan.end_reason, plan.ended_by_id, plan.ended_at)
    corrected(world, dose, corrected_mg="0")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.AFTER_EARLIER_END and plan.earlier_end
    said = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert (plan.ended_on, plan.end_kind, plan.end_reason, plan.ended_by_id, plan.ended_at) == before
    assert plan.earlier_end == {}
    # lane fix28c (review 28c): tomorrow's bottle, only "maybe" at home after the 0, is certainly at home
    # again (its dose stands) and no plan covers it: the nurse is told to call it back, in its own message
    assert [r.template for r in said.warnings] == [TAKE_BACK_UNDONE, CORRECTION_CALL_BACK]
    assert today.isoformat() in said.warnings[0].text
    assert tomorrow.isoformat() not in said.warnings[0].text
    assert tomorrow.isoformat() in said.warnings[1].text and today.isoformat() not in said.warnings[1].text
    assert set(call_back(world.alice, today)[plan.pk]) == {tomorrow}
