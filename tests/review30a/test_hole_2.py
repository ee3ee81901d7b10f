"""Review 30a hole 2: a keep back (yesterday's dose corrected down) over a run with today's bottle brought
back, then the dose corrected back up: the plan stays stopped (a bottle on the shelf, review 27a), but its
end keeps the lower dose's words ("would not give 80 mg ... over the last observed dose (40 mg)"), a dose
that no longer stands, and the nurse is told only about the bottle on the shelf."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keel.patients.models import local_today
from keel.treatment.end_words import plan_end
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_keep_back_refused_on_the_shelf_says_the_dose_that_stands(world: World) -> None:
    """Bottles for today and tomorrow went home with yesterday's 80 mg. Today Alice brings today's bottle
    back unopened and takes 80 mg at the window (today's bottle on the shelf). The nurse corrects
    yesterday's dose to 40 mg (a typo): the run is kept back, tomorrow's bottle called back, the end names
    the 40 mg step. She corrects it back to 80 mg: the plan stays stopped (today's bottle on the shelf, told
    `ON_SHELF`), tomorrow's bottle stays on the call-back list. The end's words must follow the dose that
    stands (as `_corrected_back` re-words the void and hold paths: "corrected down and later back up to
    80 mg ... may be at home"); they still say the window would not give 80 mg after a 40 mg dose."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True)
    corrected(world, dose, corrected_mg="40")
    corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today  # stays stopped: today's bottle on the shelf
    page = plan_end(plan.end_reason, today, plan.bottles_taken_back or {}, plan.end_kind, plan.ended_on)
    assert "(40 mg)" not in plan.end_reason, f"the end names a dose that no longer stands: {page.text!r}"
