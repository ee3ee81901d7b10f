"""Re-attack 38t finding 2 (medium-low): a low-dose buprenorphine schedule's next step 2.5 h after the first.

What the user does: a low-dose ("micro") start, steps 0.5, 1, 2, 3, 4, 6, 8 mg. Step 1 (0.5 mg) is given at
23:00 on the first day; at 01:30 (the next program day) the nurse gives 1 mg.

What goes wrong: the window allows it as "step 2 of the schedule, the step after the last one given"
(`rule._buprenorphine_decision`: a schedule step "counts its own day", no same_day_hours). Two steps 2.5 hours
apart: the schedule, whose whole point is a slow daily overlap with the full agonist, is compressed by a day,
and fix38e's promise ("every buprenorphine day limit counts the doses of the same program day plus the
previous one's within same_day_hours") does not hold for the one buprenorphine start that is dosed by the day.

What should hold: a step dose within the program's same_day_hours after the previous step's dose counts with
that step's day (1 mg at 01:30 makes step 1's day 1.5 mg, above its 0.5 mg): it needs a prescriber's override,
or is refused, with the earlier dose named.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago
from tests.review34c import _setup as setup

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"
STEPS = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_step_two_two_and_a_half_hours_after_step_one_at_23_00_is_not_given_as_the_next_day(
    world: World,
) -> None:
    day = days_ago(3)
    setup.order(world, BUP, "8", at(day, 8), schedule=STEPS)
    setup.dose(world, "0.5", at(day, 23), medication=BUP)
    with pytest.raises(DoseBlocked):
        setup.dose(world, "1", at(day + timedelta(days=1), 1, 30), medication=BUP)
