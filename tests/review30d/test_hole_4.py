"""Review 30d hole 4: after a correction down took the bottles back, a void of that dose leaves the end
saying the bottles "were handed over and are still at home" with the voided dose, and tells the nurse
nothing."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.factories import corrected
from tests.review30a._setup import run_left_two_days_ago

pytestmark = pytest.mark.django_db


def test_void_after_a_take_back_rewords_the_end(world: World) -> None:
    """Alice's three bottles (yesterday, today, tomorrow) went home two days ago with her 80 mg. That dose is
    corrected to 40 mg: the window would not give 80 mg after it, so today's and tomorrow's bottles are
    taken back, the plan ends yesterday, and the end says they "were handed over and are still at home"
    with that dose (true then). The dose is then voided (entered in error). The dose they went home with no
    longer stands, so whether they left is no longer known (the call-back list's "maybe", FHIR's
    `entered-in-error`), yet the end still says they were handed over with it at a total the window would
    not follow, and the void says nothing to the nurse. fix30a re-words a corrected-back end after a void
    ("voided", `voided_words`); this end is left as it was."""
    plan, dose, _today = run_left_two_days_ago(world)
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert "still at home" in plan.end_reason  # the take-back's words, true while the 40 mg stood
    corrected(world, dose, void=True)
    plan.refresh_from_db()
    assert "voided" in plan.end_reason and "handed over and are still at home" not in plan.end_reason, (
        plan.end_reason
    )
