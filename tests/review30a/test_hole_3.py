"""Review 30a hole 3: as hole 2, on the take-back path (`_undo_take_back` refused over a bottle on the
shelf): a run that began before today, today's bottle brought back, the dose corrected down then back up;
the end keeps "the window would not give their 80 mg (... over the last observed dose (40 mg))"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keel.treatment.end_words import plan_end
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, pinned_at_last_five_pm_utc
from tests.review30a._setup import run_left_two_days_ago


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_take_back_refused_on_the_shelf_says_the_dose_that_stands(world: World) -> None:
    """Bottles for yesterday, today and tomorrow went home with the 80 mg of two days ago. Today Alice
    brings today's bottle back and takes 80 mg at the window. The nurse corrects the dose of two days ago
    to 40 mg: today on is taken back (`TAKEN_BACK_FROM_TODAY`, tomorrow called back). Then back to 80 mg:
    the plan stays ended after yesterday (today's bottle on the shelf, `ON_SHELF`), tomorrow's bottle stays
    called back. The end still gives as its reason the 40 mg dose's titration step; it should say the dose
    stands again at 80 mg and tomorrow's bottle may be at home."""
    plan, dose, today = run_left_two_days_ago(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True)
    corrected(world, dose, corrected_mg="40")
    corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today
    page = plan_end(plan.end_reason, today, plan.bottles_taken_back or {}, plan.end_kind, plan.ended_on)
    assert "(40 mg)" not in plan.end_reason, f"the end names a dose that no longer stands: {page.text!r}"
