"""Hole 1: a keep back written over a prescriber's end, then undone by the correction back up, tells the
nurse "handed out" for bottles no plan covers.

Yesterday Alice took 80 mg and her bottles for today and tomorrow went home. The prescriber ends the plan
from tomorrow. The nurse corrects yesterday's dose to 40 mg (a typo): the window would not give the 80 mg
bottles after it, so the plan is kept back from yesterday (written over the prescriber's end) and both
bottles go on the call-back list. The nurse then fixes the typo back to 80 mg. The plan stays ended (it
covers no day) and both bottles stay on the call-back list, yet the only thing the correction tells the
nurse is "Take-home bottles handed out with this dose: ...": the end the keep back wrote over the
prescriber's (`AFTER_EARLIER_END`) is read as a prescriber's end by `restore_after_end`. A nurse reading
"handed out" stops calling the person back.
"""

from __future__ import annotations

from datetime import timedelta

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import plan_days
from keel.treatment.services.doses.bottles import HANDED_OUT
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, prescriber_ends

STOP = "Relapse reported by the person; the prescriber stops the bottles from tomorrow."


def test_correction_back_up_never_says_handed_out_for_bottles_no_plan_covers(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    prescriber_ends(world, plan, STOP, from_day=tomorrow.isoformat())
    corrected(world, dose, corrected_mg="40")
    back = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    handed_out_uncovered = [r.text for r in back.warnings if r.template == HANDED_OUT and not plan_days(plan)]
    assert handed_out_uncovered == []
