"""Review 34a hole 3 (the lead's open lead, confirmed on a take-back): a voided dose corrected up to a total
the window still blocks, after one of its bottles was brought back, is stored as "corrected back" with no word
of the block. Four 80 mg bottles went home three days ago; today that dose is voided (the two still ahead
called back) and today's bottle is brought back at the window; then the pump log shows 60 mg and the nurse
corrects the dose to 60 mg. The end reads "The bottles for <tomorrow> may be at home: the dose of <day> they
were to go home with was voided and later corrected back to 60 mg ... until a prescriber decides take-home
doses again" (kind `CORRECTED_BACK`). Without the bottle brought back, the same void then 60 mg says the
window's reason ("after it the window would not give their 80 mg (An increase of 20 mg ...)") and that a
prescriber re-writes the order (kind `TAKEN_BACK`). Should: the same as without the bottle brought back:
the window's reason at 60 mg named, never "corrected back" of a total after which the window would not give
the bottle still out. Why: `dispatch._redecide_plan` sends an earlier day's voided end corrected above 0 to
`voided.after_voided`, which, with a bottle on the shelf, writes the corrected-back end before the run is
judged at the new total (review 33a hole 3's fix judges first on the keep-back path only). Harm: the
prescriber reading the plan is not told that 80 mg bottles will not be given after a 60 mg day (the order
needs re-writing), and later corrections take the corrected-back paths."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from keel.treatment.models import TakeHomePlan
from keel.treatment.services.take_homes.ending import record_bottles_brought_back
from tests.conftest import World
from tests.factories import corrected, pinned_at_last_five_pm_utc
from tests.review33a._setup import four_bottles_home_three_days_ago
from tests.review34a._setup import called_back


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """One instant for every step, whatever the hour the suite runs."""
    yield from pinned_at_last_five_pm_utc()


def _voided_brought_back_then_60(world: World) -> TakeHomePlan:
    """The four-bottle run; its dose voided; today's bottle brought back; the dose corrected to 60 mg."""
    plan, dose, today = four_bottles_home_three_days_ago(world)
    corrected(world, dose, "Recorded for the wrong person.", void=True)
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Brought back unopened at the window.",
        returned_days=[today.isoformat()],
    )
    corrected(world, dose, "The pump log shows 60 mg.", corrected_mg="60")
    plan.refresh_from_db()
    return plan


def test_context_the_bottle_still_out_is_called_back(world: World) -> None:
    plan = _voided_brought_back_then_60(world)
    assert len(called_back(world, plan.pk)) == 1


def test_the_end_names_the_windows_reason_at_60_mg(world: World) -> None:
    plan = _voided_brought_back_then_60(world)
    assert "would not give their 80 mg" in plan.end_reason


def test_the_end_never_says_corrected_back_to_a_blocked_total(world: World) -> None:
    plan = _voided_brought_back_then_60(world)
    assert "corrected back to 60 mg" not in plan.end_reason
