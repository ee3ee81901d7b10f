"""Probe 27: a take-back from today (`_take_back_from_today`) undone by a correction back up
(`redecide.undo.undo_take_back`, review 24b hole 3) after the person was dosed at the window today while the
take-back stood. Clock pinned; every act inside the pin. Finding: the window never doses her on that day
unless today's bottle comes back (issue #13, review 20a: a bottle held at home keeps today a take-home day,
`contexts.bottle_held_today`), and a bottle brought back keeps the take-back from being undone (review 27a,
`on_shelf`): the double dose is not reachable by ordinary input."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.queries import call_back, plan_days
from keel.treatment.queries.take_home_plans import bottles_at_home
from keel.treatment.services.doses.bottles import CORRECTED_BACK_CALL_BACK_DOWN, ON_SHELF
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import last_five_pm_utc
from tests.review24b.test_holes import _correct, _three_bottles_from_yesterday


def test_take_back_undone_after_a_window_dose_today_never_makes_today_a_take_home_day(world: World) -> None:
    """T-2's observed 80 mg sent home bottles for T-1, today and T+1. Today T-2's dose is corrected 80 -> 40:
    today's and tomorrow's bottles are taken back (call back), the plan ends yesterday. She comes to the
    window: with today's bottle at home the window refuses an observed dose; she hands it back and is dosed
    (40 mg, her last observed dose). Then T-2 is corrected back to 80. Safe: today is not a take-home day of
    the plan (the take-back stands, the nurse is told the bottle stays on the shelf), today's bottle is not
    at home, and tomorrow's bottle (still at home) stays on the call-back list."""
    with time_machine.travel(last_five_pm_utc(), tick=False):
        plan, today = _three_bottles_from_yesterday(world)
        tomorrow = today + timedelta(days=1)
        _correct(world, today - timedelta(days=2), "40")
        plan.refresh_from_db()
        assert plan.ended_on == today - timedelta(days=1)  # the take-back from today stands
        assert {today, tomorrow} <= set(call_back(world.alice, today).get(plan.pk, {}))
        nurse = world.staff["nurse"]
        with pytest.raises(TreatmentInvalid, match="take-home day"):  # bottle at home: no dose
            record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="40")
        record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="40", bottle_returned=True)
        undone = _correct(world, today - timedelta(days=2), "80")  # the correction back up
        plan.refresh_from_db()
        assert today not in plan_days(plan), (plan.ended_on, plan.bottle_mg)
        # lane fix30a (review 30a hole 3): the take-back's words follow the dose that stands again
        assert [r.template for r in undone.warnings] == [CORRECTED_BACK_CALL_BACK_DOWN, ON_SHELF], (
            undone.warnings
        )
        assert today not in bottles_at_home(world.alice, today).get(plan.pk, {})
        assert tomorrow in call_back(world.alice, today).get(plan.pk, {}), call_back(world.alice, today)
