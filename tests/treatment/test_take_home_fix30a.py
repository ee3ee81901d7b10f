"""Lane fix30a: the take-home end words after review 30a, fix29c's leftovers and the product owner's note.

- a prescriber's end written after a hold leaves on the call-back list the bottles the hold put there
  (`holds._end_by_hold` keeps the hold's day, `take_home_plans._called_back_after` reads it);
- a plain keep back (no earlier end) refused under a hold, then the dose back up: the end's words follow the
  dose that stands (`go_on._go_on_after_kept_back` -> `corrected_back`), never the lower dose's reason;
- a take-back from today refused under a hold, then the dose back up: the same (`undo.undo_take_back`);
- a later window dose that gives back a prescriber's end under a keep back tells the bottles at home past it
  in a dose's words (`AT_HOME_PAST_END`), never "After this correction" (`prescriber_end._call_back_past`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import PlanEnd
from keel.treatment.queries.take_home_plans import call_back, plan_days
from keel.treatment.services.doses.bottles import AT_HOME_PAST_END, CORRECTION_CALL_BACK
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_today,
    handed_out_yesterday,
    pinned_at_last_five_pm_utc,
    prescriber_ends,
)
from tests.review30a._setup import four_bottles_home_yesterday, run_left_two_days_ago

LOWER_DOSE = "(40 mg)"  # the lower dose's titration-step reason names it


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_prescribers_end_after_a_hold_keeps_the_holds_call_back(world: World) -> None:
    """Four bottles (today and the three days after) went home with yesterday's 80 mg; today the dose is
    held (sedated): every bottle after today is called back. The prescriber then ends the plan from the day
    after tomorrow: tomorrow's bottle stays called back (the hold put it there) until it is brought back,
    and the hold's words stay in the end."""
    plan, today = four_bottles_home_yesterday(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    tomorrow = today + timedelta(days=1)
    assert tomorrow in call_back(world.alice, today).get(plan.pk, {})

    prescriber_ends(world, plan, "Ended after the hold", from_day=(today + timedelta(days=2)).isoformat())

    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.PRESCRIBER
    assert "A dose was held on" in plan.end_reason
    assert tomorrow in call_back(world.alice, today).get(plan.pk, {})


def test_a_plain_keep_back_refused_under_a_hold_says_the_dose_that_stands(world: World) -> None:
    """Bottles for today and tomorrow went home with yesterday's 80 mg. Yesterday's dose is corrected to
    40 mg (a typo): the run is kept back (no earlier end). Today the dose is held (sedated). Yesterday's dose
    is corrected back to 80 mg: the hold keeps the plan stopped, and its end now says the dose was corrected
    down and back up to 80 mg, the bottles at home called back, never the 40 mg dose's reason."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.KEPT_BACK and LOWER_DOSE in plan.end_reason
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)

    corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    assert today not in plan_days(plan)
    assert plan.end_kind == PlanEnd.CORRECTED_BACK
    assert LOWER_DOSE not in plan.end_reason and "back up to 80 mg" in plan.end_reason
    assert today + timedelta(days=1) in call_back(world.alice, today).get(plan.pk, {})


def test_a_take_back_refused_under_a_hold_says_the_dose_that_stands(world: World) -> None:
    """Bottles for yesterday, today and tomorrow went home with the 80 mg of two days ago. That dose is
    corrected to 40 mg: today on is taken back. Today the dose is held. Back to 80 mg: the take-back stands
    (the hold), its words follow the 80 mg that stands again, never the 40 mg dose's reason."""
    plan, dose, today = run_left_two_days_ago(world)
    corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.TAKEN_BACK and LOWER_DOSE in plan.end_reason
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)

    corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today
    assert LOWER_DOSE not in plan.end_reason and "back up to 80 mg" in plan.end_reason


def test_a_window_dose_giving_an_end_back_says_a_doses_words(world: World) -> None:
    """Today's 80 mg sent tomorrow's and the next day's bottles home; the prescriber ends the plan from the
    day after tomorrow; today's dose is corrected to 40 mg (kept back over her end); then 40 mg more is given
    at the window (the day's total 80 mg again): her end comes back, tomorrow covered, the next day's bottle
    called back, told as a dose's words, not "After this correction"."""
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    after = today + timedelta(days=2)
    prescriber_ends(world, plan, "Relapse reported by the person today", from_day=after.isoformat())
    corrected(world, dose, corrected_mg="40")

    later = timezone.now() + timedelta(hours=2, minutes=1)  # the program's 2 h between doses
    more = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40", now=later)

    said = [r.template for r in more.decision.reasons]
    assert CORRECTION_CALL_BACK not in said
    assert AT_HOME_PAST_END in said
    assert after in call_back(world.alice, today).get(plan.pk, {})
