"""Hole 2: today's dose corrected to 0 mg and back to 80 mg after a prescriber's end leaves an end reason
saying no dose given today stands.

Today Alice takes 80 mg and her bottles for tomorrow and the day after go home. The prescriber ends the plan
from the day after tomorrow (tomorrow stays a take-home day). The nurse corrects today's dose to 0 mg (wrong
person) and then back to 80 mg (it was right after all). The plan's end now says "no dose given today stands
(corrected to 0 mg or voided)" while today's 80 mg stands: the "nothing given" end written over the
prescriber's end (`AFTER_EARLIER_END`) is never undone nor re-worded by the dose that stands again. The
medication page shows the next shift an end reason that is false.
"""

from __future__ import annotations

from datetime import timedelta

from keel.patients.models import local_today
from tests.conftest import World
from tests.factories import corrected, handed_out_today, prescriber_ends

STOP = "Relapse reported by the person; the prescriber stops the bottles from the day after tomorrow."


def test_end_reason_never_says_no_dose_stands_while_todays_dose_stands(world: World) -> None:
    plan, dose = handed_out_today(world)
    after_tomorrow = local_today(world.alice) + timedelta(days=2)
    prescriber_ends(world, plan, STOP, from_day=after_tomorrow.isoformat())
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert "no dose given today stands" not in plan.end_reason
