"""Review 31a hole 3: a prescriber ended the plan from the day after tomorrow; the dose the run went home
with yesterday is then corrected down and part-way back up (80 -> 40 -> 60 mg). The keep back written over
the prescriber's end stays (`PlanEnd.AFTER_EARLIER_END`), but its words still give the window's reason at
40 mg: `prescriber_end.after_end_over_earlier` (`_give_earlier_back`) returns nothing when the run is still
blocked, never re-wording the end as `go_on.kept_back_again` does for a plain keep back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.treatment.models import DoseRecord
from tests.conftest import World
from tests.factories import corrected, prescriber_ends
from tests.review31a._setup import four_bottles_home_yesterday

pytestmark = pytest.mark.django_db


def test_second_correction_rewords_the_keep_back_over_a_prescribers_end(world: World) -> None:
    plan, today = four_bottles_home_yesterday(world)
    dose = DoseRecord.objects.get(patient=world.alice, local_date=today - timedelta(days=1))
    later = (today + timedelta(days=2)).isoformat()
    prescriber_ends(world, plan, "Travel plans changed, fewer bottles are needed", from_day=later)
    corrected(world, dose, "Pump log shows 40 mg given, not 80 mg as typed", corrected_mg="40")
    corrected(world, dose, "Second look at the pump log: it was 60 mg in all", corrected_mg="60")
    plan.refresh_from_db()
    assert "last observed dose (40 mg)" not in plan.end_reason
