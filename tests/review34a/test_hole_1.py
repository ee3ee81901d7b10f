"""Review 34a hole 1: two nurses correct the same dose, one from a page read before the other's correction.
Yesterday Alice took 80 mg and her bottles for today and tomorrow went home with it. Nurse B opens the
medication page (the dose reads 80 mg). Nurse A, at the window, learns the dose was recorded for the wrong
person and voids it: the bottles are taken back and are on the call-back list. Nurse B, still on her page,
corrects "80 mg" to 70 mg (the pump log). The correction form carries no version of the dose's corrections
(the order form does: `order_version`), so B's stale correction is saved over A's void: the void is silently
undone, the dose stands at 70 mg, the plan goes on ("covered again") and the bottles leave the call-back
list. Should: a correction from a page that did not show the dose's newest correction is refused (the page
again with the correction in force), nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from keel.treatment.models import DoseRecord
from keel.treatment.queries.doses import effective_mg
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc
from tests.review34a._setup import called_back, correction_form, post_correction


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Inside dosing hours, whatever the hour the suite runs."""
    yield from pinned_at_last_five_pm_utc()


def _stale_correction_after_a_void(world: World, signed_in: object) -> tuple[int, DoseRecord]:
    """The page read by nurse B, the void by nurse A, B's post (70 mg) from her page. The plan id and the
    dose, read again."""
    plan, dose = handed_out_yesterday(world)
    nurse_b: Client = signed_in("nurse")  # type: ignore[operator]
    fields = correction_form(nurse_b, world, dose)
    corrected(world, dose, "Recorded for the wrong person: she did not come yesterday.", void=True)
    fields |= {"corrected_mg": "70", "reason": "The pump log shows 70 mg."}
    post_correction(nurse_b, world, dose, fields)
    return plan.pk, DoseRecord.objects.get(pk=dose.pk)


def test_context_the_void_calls_the_bottles_back(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    corrected(world, dose, "Recorded for the wrong person: she did not come yesterday.", void=True)
    assert len(called_back(world, plan.pk)) == 2


def test_the_void_still_stands_after_a_stale_correction(world: World, signed_in: object) -> None:
    _plan_id, dose = _stale_correction_after_a_void(world, signed_in)
    assert effective_mg(dose) == 0


def test_the_bottles_stay_on_the_call_back_list(world: World, signed_in: object) -> None:
    plan_id, _dose = _stale_correction_after_a_void(world, signed_in)
    assert len(called_back(world, plan_id)) == 2
