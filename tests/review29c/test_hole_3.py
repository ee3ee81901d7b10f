"""Hole 3: after a hold, a correction back up of a keep back written over a prescriber's end leaves the
plan's end naming a dose that no longer stands, and tells the nurse nothing.

Yesterday Alice took 80 mg and her bottles for today and tomorrow went home. The prescriber ends the plan
from tomorrow. The nurse corrects yesterday's dose to 40 mg (a typo): the plan is kept back from yesterday
(written over the prescriber's end) and both bottles go on the call-back list; the plan's end reads "after it
the window would not give their 80 mg (An increase of 40 mg over the last observed dose (40 mg) ...)".
Today Alice is at the window, sedated: the dose is held and the prescriber releases the hold. The nurse then
fixes yesterday's typo back to 80 mg. `_after_end_over_earlier` returns nothing under the hold
(`held_today`): the end stands, as it should, but its words still give a 40 mg dose as the reason, though
yesterday's dose is 80 mg again, and the correction says nothing. The void path re-words such an end
(`_corrected_back`, lane fix28c); this path does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from keel.patients.models import local_today
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_yesterday,
    held_then_released,
    pinned_at_last_five_pm_utc,
    prescriber_ends,
)

STOP = "Relapse reported by the person; the prescriber stops the bottles from tomorrow."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Noon in the program's zone, the clock pinned."""
    yield from pinned_at_last_five_pm_utc()


def test_plan_end_never_names_a_40_mg_dose_corrected_back_to_80_after_a_hold(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    prescriber_ends(world, plan, STOP, from_day=tomorrow.isoformat())
    corrected(world, dose, corrected_mg="40")
    held_then_released(world)
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert "(40 mg)" not in (plan.end_reason or "")
