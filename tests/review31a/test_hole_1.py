"""Review 31a hole 1: today's dose corrected down and then part-way back up (80 -> 40 -> 60 mg of 80) on the
same day. The keep back the first correction wrote stays, but its words still give the window's reason at
40 mg ("over the last observed dose (40 mg)"): lane fix30d's `kept_back_again` re-words the end only for an
earlier day's dose (`go_on._go_on_after_kept_back`: `today < change.real_today`)."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.factories import corrected, handed_out_today

pytestmark = pytest.mark.django_db


def test_same_day_second_correction_rewords_the_keep_back(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, "Pump log shows 40 mg given, not 80 mg as typed", corrected_mg="40")
    corrected(world, dose, "Second look at the pump log: it was 60 mg in all", corrected_mg="60")
    plan.refresh_from_db()
    assert "last observed dose (40 mg)" not in plan.end_reason
