"""Review 27a: a prescriber's end from tomorrow, then a slip on yesterday's dose (0 mg, then back to 80)."""

from __future__ import annotations

from datetime import timedelta

from keel.patients.models import local_today
from keel.treatment.queries import plan_days
from keel.treatment.queries.take_home_plans import call_back
from tests.conftest import World
from tests.factories import corrected, handed_out_today, handed_out_yesterday, prescriber_ends


def test_a_slip_undone_on_yesterdays_dose_leaves_todays_bottle_covered_after_a_prescribers_end(
    world: World,
) -> None:
    """Yesterday's 80 mg sent today's and tomorrow's bottles home. The prescriber ends the plan from
    tomorrow (today's bottle is hers to drink; tomorrow's is on the call-back list). A nurse then corrects
    yesterday's dose to 0 mg by mistake and at once back to 80 mg. A pharmacist expects the record to be
    what it was before the slip: today a take-home day (her bottle at home is today's dose), only
    tomorrow's bottle called back. On the current code the 0 moved the plan's end to yesterday
    (`after_earlier_end`, which `_after_voided` does not undo and `restore_after_end` leaves as it is), so
    today is a clinic day and the call-back list asks her to bring back the bottle she is meant to drink
    today: the nurse phones her to return today's dose, and the window and the page disagree with the
    prescriber's end."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    prescriber_ends(
        world,
        plan,
        "Relapse reported at group; she comes to the window daily from tomorrow",
        from_day=(today + timedelta(days=1)).isoformat(),
    )
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert today in plan_days(plan), f"the plan now ends {plan.ended_on} ({plan.end_kind})"
    assert today not in call_back(world.alice, today).get(plan.pk, {})


def test_the_nurse_is_not_told_a_bottle_on_the_shelf_went_home_again(world: World) -> None:
    """Today's 80 mg sent tomorrow's and the next day's bottles home. The prescriber ends the plan from
    tomorrow and records tomorrow's bottle brought back (it is on the clinic's shelf). A nurse corrects
    today's dose to 0 mg by mistake and back to 80 mg. The correction tells her "Take-home bottles handed
    out with this dose: <tomorrow> 80 mg; <the day after> 80 mg" (`restore_after_end` puts every bottle the
    0 took back on record again, one already brought back included). A dosing nurse reads that as an
    instruction: the shelf bottle goes home again and nothing records it (it stays "brought back"). A
    pharmacist expects the message to name only the bottle still in the person's hands."""
    plan, dose = handed_out_today(world)
    first, second = sorted(plan.bottle_mg)
    prescriber_ends(
        world,
        plan,
        "Relapse reported at group; she comes to the window daily from tomorrow",
        from_day=first,
        returned_days=[first],
    )
    corrected(world, dose, corrected_mg="0")
    amendment = corrected(world, dose, corrected_mg="80")
    said = " ".join(r.text for r in amendment.warnings)
    assert second in said
    assert first not in said, said
