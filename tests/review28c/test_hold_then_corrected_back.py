"""Review 28c: a hold at the window today, then yesterday's voided dose corrected back up.

`_after_voided` returns nothing when a hold was recorded today (`held_today`), before `_never_over_window`
or any words are reached: the bottles that went home with yesterday's dose are on the record as at home
again (the call-back list names them), yet the nurse hears nothing and the plan's end still says they were
never handed out."""

from __future__ import annotations

import pytest

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, held_then_released

pytestmark = pytest.mark.django_db


def test_hold_released_then_dosed_then_yesterday_corrected_back_tells_the_nurse(world: World) -> None:
    """The nurse: yesterday Alice took 80 mg and her bottles for today and tomorrow went home; this morning
    yesterday's dose was voided (entered on the wrong person, it seemed), so the plan ended and the bottles
    were recorded taken back. Alice came in sedated: held; the prescriber released the hold and she was
    given 80 mg at the window. Then the pump log showed yesterday's 80 mg was hers: corrected back to 80.
    What went wrong: the correction says nothing at all (no warning), while today's bottle went home with
    yesterday's dose and today she also drank 80 mg at the window: two doses for today, and the call-back
    list (which names both bottles) is the only place it shows. What is right: as without the hold
    (`WINDOW_DOSED_CALL_BACK`), the nurse is told to call Alice back for the bottles of today and tomorrow."""
    plan, dose = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    corrected(world, dose, void=True)
    held_then_released(world)
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")

    amendment = corrected(world, dose, corrected_mg="80")

    home = call_back(alice, today).get(plan.pk, {})
    assert today in home  # the record: today's bottle is at home, and she was dosed at the window today
    told = " ".join(w.text for w in amendment.warnings)
    assert today.isoformat() in told, f"the nurse is told nothing of today's bottle at home: {told!r}"


def test_hold_today_then_yesterday_corrected_back_end_reason_is_true(world: World) -> None:
    """The nurse: yesterday's dose (which sent the bottles for today and tomorrow home) was voided this
    morning; Alice then came in sedated and was held (the prescriber released the hold; no dose given yet).
    Yesterday's dose is corrected back to 80 mg: it stands, so its bottles left with it (the call-back list
    names them as at home). What went wrong: the plan's end still reads "The bottles ... were not handed out:
    the dose ... was voided or corrected to 0 mg" (medication page, API), which is now false, and the nurse is
    told nothing. What is right: the end's words say the dose stands and the bottles are at home, to be
    called back (as `CORRECTED_BACK_AT_HOME` does for the "nothing given" end), and the correction warns."""
    plan, dose = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    corrected(world, dose, void=True)
    held_then_released(world)

    amendment = corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    assert today in call_back(alice, today).get(plan.pk, {})
    assert "were not handed out" not in plan.end_reason, plan.end_reason
    assert amendment.warnings, "the correction back up tells the nurse nothing"
