"""Hole 3: after a bottle came back, yesterday's dose corrected to 0 mg and back leaves the end saying the
bottles "were not handed out" and that the dose was voided, while the dose stands and a bottle is at home.

Yesterday Alice took 80 mg and her bottles for today and tomorrow went home. Today she brings today's bottle
back and is dosed 80 mg at the window. The nurse corrects yesterday's dose to 0 mg (wrong chart), then back
to 80 mg (it was right). The plan stays ended (today's bottle is on the shelf: right), and tomorrow's bottle
is at home on the call-back list, but the plan's end still reads "The bottles for <today>, <tomorrow> were
not handed out: the dose of <yesterday> they were to go home with was voided or corrected to 0 mg": the
shelf path of `_after_voided` (`_stays_on_shelf`) never re-words the voided end, as `_corrected_back` does
for the hold and other-plan paths. The next shift reads that tomorrow's bottle never left and nobody calls
her back.
"""

from __future__ import annotations

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import bottles_at_home
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday


def test_end_never_says_not_handed_out_while_its_dose_stands_and_a_bottle_is_at_home(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    # set-up: tomorrow's bottle is at home
    assert bottles_at_home(world.alice, local_today(world.alice)).get(plan.pk)
    assert "were not handed out" not in plan.end_reason
