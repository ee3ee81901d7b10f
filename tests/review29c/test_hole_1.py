"""Hole 1: a take-back written over a prescriber's end, undone by the correction back up, tells the nurse
"handed out" for bottles no plan covers (review 29a hole 1 again, by the take-back path).

Two days ago Alice took 80 mg and her bottles for yesterday, today and tomorrow went home. The prescriber
ends the plan from tomorrow. The nurse corrects the dose of two days ago to 40 mg (a typo): the record takes
today's and tomorrow's bottles back (a take-back, `TAKEN_BACK`, written over the prescriber's end:
`AFTER_EARLIER_END` over `taken_back`), both go on the call-back list. She fixes the typo back to 80 mg. The
plan stays ended after yesterday, both bottles stay on the call-back list, yet the only words of the
correction are "Take-home bottles handed out with this dose: today 80 mg; tomorrow 80 mg". The fix of 29a
(`_over_earlier_on`) reads only a keep back or a "nothing given" written over a prescriber's end, never a
take-back; `restore_after_end` then reads the end as a prescriber's. A nurse reading "handed out" stops
calling the person back, and the prescriber's end (today covered) is not given back either.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from keel.treatment.queries.take_home_plans import plan_days
from keel.treatment.services.doses.bottles import HANDED_OUT
from tests.conftest import World
from tests.factories import corrected, pinned_at_last_five_pm_utc, prescriber_ends
from tests.review29c._setup import run_left_two_days_ago

STOP = "Relapse reported by the person; the prescriber stops the bottles from tomorrow."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Noon in the program's zone, the clock pinned."""
    yield from pinned_at_last_five_pm_utc()


def test_take_back_over_prescribers_end_undone_never_says_handed_out_for_days_no_plan_covers(
    world: World,
) -> None:
    plan, dose, today = run_left_two_days_ago(world)
    prescriber_ends(world, plan, STOP, from_day=(today + timedelta(days=1)).isoformat())
    corrected(world, dose, corrected_mg="40")
    back = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    covered = plan_days(plan)
    said_handed_out_uncovered = [
        r.text for r in back.warnings if r.template == HANDED_OUT and today not in covered
    ]
    assert said_handed_out_uncovered == []
