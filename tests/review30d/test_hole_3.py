"""Review 30d hole 3: a void of the dose the bottles went home with, after a hold that day, writes the same
hold over itself: the end says the hold twice, the second time as an "earlier end" from a day the plan
never ended on."""

from __future__ import annotations

import pytest

from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_today

pytestmark = pytest.mark.django_db


def test_void_after_a_hold_tells_the_hold_once(world: World) -> None:
    """Alice takes her 80 mg at the window today and her bottles for tomorrow and the day after go home with
    it; later today she is held (sedated): the plan stops after the run at home, both bottles called back.
    Then today's 80 mg is voided (entered in error). `_end_after_hold` runs the hold again
    (`suspend_take_home_plans`), and fix30a's `_end_by_hold` keeps the plan's own hold end as an earlier end:
    the reason reads "A dose was held on <today> ... The plan had been ended before from <day after the
    run> on: A dose was held on <today> ...". The nurse reads two ends, one of them a day the plan never
    ended on, and no word that the dose was voided and its bottles taken back. One hold, told once."""
    plan, dose = handed_out_today(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    corrected(world, dose, void=True)
    plan.refresh_from_db()
    assert plan.end_reason.count("A dose was held on") == 1, plan.end_reason
