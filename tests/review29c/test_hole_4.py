"""Hole 4: a bottle recorded brought back is named "not handed out" by the plan's end after a correction
to 0 mg.

Yesterday Alice took 80 mg and her bottles for today and tomorrow went home. The prescriber ends the plan
from tomorrow. Today she brings today's bottle back unopened and is dosed at the window (the bottle is
recorded brought back: on the shelf). The nurse then corrects yesterday's dose to 0 mg (a typo). The plan's
end (what the medication page shows) now reads "The bottles for <today> were not handed out: the dose of
<yesterday> they were to go home with was voided or corrected to 0 mg", while the record holds that bottle
brought back to the clinic (it left, and came back: FHIR says `stopped` with the day it was handed over).
The medication page and FHIR disagree about the bottle, and the nurse reads a false sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc, prescriber_ends

STOP = "Relapse reported by the person; the prescriber stops the bottles from tomorrow."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Noon in the program's zone: the window dose three hours earlier is the same day."""
    yield from pinned_at_last_five_pm_utc()


def test_plan_end_never_says_a_bottle_brought_back_was_not_handed_out(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    nurse, alice = world.staff["nurse"], world.alice
    today = local_today(alice)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    record_dose(
        by=nurse,
        patient_id=alice.pk,
        amount_mg="80",
        bottle_returned=True,
        now=timezone.now() - timedelta(hours=3),
    )
    corrected(world, dose, corrected_mg="0")
    plan.refresh_from_db()
    assert f"The bottles for {today.isoformat()} were not handed out" not in (plan.end_reason or "")
