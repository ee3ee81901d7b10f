"""Hole 2: a take-back undone by a correction back up restarts the plan after a hold on a day since.

Two days ago Alice took 80 mg and her bottles for yesterday, today and tomorrow went home. The nurse
corrects that dose to 40 mg (a typo): the record takes today's and tomorrow's bottles back and the plan
stops (ended after yesterday). Yesterday she was at the window, sedated: her dose was held, and the
prescriber released the hold (a hold ends take-home doses until a prescriber decides again; this plan had
already ended, so the hold wrote nothing on it). Today the nurse fixes the typo back to 80 mg: the take-back
is undone and the plan goes on over today and tomorrow, the nurse told "nobody needs to call the person
back". `_resume_refused` asks for a hold on the dose's own day (two days ago) and `held_today` on today,
never on a day between: a correction restarts take-home doses after a hold, which only a prescriber may.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from keel.treatment.queries.take_home_plans import plan_days
from tests.conftest import World
from tests.factories import corrected, held_then_released, pinned_at_last_five_pm_utc
from tests.review29c._setup import run_left_two_days_ago


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Noon in the program's zone, the clock pinned."""
    yield from pinned_at_last_five_pm_utc()


def test_correction_back_up_never_restarts_a_plan_after_a_hold_since(world: World) -> None:
    plan, dose, today = run_left_two_days_ago(world)
    corrected(world, dose, corrected_mg="40")
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        held_then_released(world)
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert today not in plan_days(plan)
