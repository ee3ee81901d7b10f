"""Review 30a hole 1: a hold at the window overwrites a prescriber's end (its reason, who ended it, its kind),
where every end the dose path writes over a prescriber's keeps it (`_end_keeping_earlier`, `EARLIER_END`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from keel.treatment.end_words import plan_end
from keel.treatment.models import PlanEnd
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc, prescriber_ends
from tests.review30a._setup import four_bottles_home_yesterday

DIVERSION = "Diversion suspected: call back every bottle after tomorrow"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_hold_keeps_the_prescribers_end_in_the_plans_words(world: World) -> None:
    """Four bottles (today and the three days after) went home with yesterday's 80 mg. The prescriber ends
    the plan from the day after tomorrow, with her reason (diversion suspected): the two last bottles are
    on the call-back list. Today Alice comes to the window sedated: the nurse holds the dose. The hold may
    stop more (it does: tomorrow's bottle is called back too), but the prescriber's end and reason stay on
    the plan for the next shift and the prescriber (as the dose path keeps an earlier end under its own,
    `EARLIER_END`). Today the hold replaces them: the end reads only "A dose was held on ...", its kind
    `hold`, ended by the nurse; "diversion suspected" is gone from the medication page."""
    plan, today = four_bottles_home_yesterday(world)
    prescriber_ends(world, plan, DIVERSION, from_day=(today + timedelta(days=2)).isoformat())
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.PRESCRIBER
    assert plan.ended_on == today + timedelta(days=1)

    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)

    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on <= today + timedelta(days=1)  # the hold stops as much
    page = plan_end(plan.end_reason, today, plan.bottles_taken_back or {}, plan.end_kind, plan.ended_on)
    assert DIVERSION in page.text, f"the prescriber's end is gone from the plan's words: {page.text!r}"
