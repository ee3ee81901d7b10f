"""Review 31a hole 2: the dose the run went home with two days ago (the run holds yesterday, today and
tomorrow) corrected down and then part-way back up (80 -> 40 -> 60 mg). The take-back from today stays,
but its words still give the window's reason at 40 mg: `undo.undo_take_back` returns nothing when the run
is still blocked at 60 mg, and the take-back's words (`TAKEN_BACK_FROM_TODAY`) are never said again, as
lane fix30d's `kept_back_again` says a keep back's again."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.factories import corrected
from tests.review31a._setup import run_left_two_days_ago

pytestmark = pytest.mark.django_db


def test_second_correction_rewords_the_take_back_from_today(world: World) -> None:
    plan, dose, _today = run_left_two_days_ago(world)
    corrected(world, dose, "Pump log shows 40 mg given, not 80 mg as typed", corrected_mg="40")
    corrected(world, dose, "Second look at the pump log: it was 60 mg in all", corrected_mg="60")
    plan.refresh_from_db()
    assert "last observed dose (40 mg)" not in plan.end_reason
