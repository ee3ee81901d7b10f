"""Review 28d (an OTP pharmacist with a dosing nurse): lane fix28c's `window_dose_gone` rewrites a plan's end
to say the window dose that ended it "was later voided or corrected to 0 mg" (`WINDOW_VOIDED_END`); nothing
rewrites it again when that dose is corrected back up and stands at the window once more."""

from __future__ import annotations

import pytest

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday

pytestmark = pytest.mark.django_db


def test_window_dose_voided_then_back_up_end_words_still_say_voided(world: World) -> None:
    """Hole 1. Yesterday Alice took her 80 mg and her bottles for today and tomorrow went home.
    Yesterday's dose is voided (the plan ends), today she is dosed 80 mg at the window, then yesterday's dose
    is corrected back up (fix28b: the plan ends before today, `WINDOW_DOSED_END`). The nurse voids today's
    dose by mistake (fix28c: the end now says the window dose "was later voided", `WINDOW_VOIDED_END`), then
    corrects it back to 80 mg: the dose stands at the window today. Right: the plan stays ended and its end
    names today as a day dosed at the window (a prescriber reading it must know she was dosed at the window
    today with bottles at home). Found: the end still says the window dose was voided."""
    plan, yesterday = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    corrected(world, yesterday, void=True)  # the plan ends, its bottles taken back on the record
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")  # she is dosed at the window
    corrected(world, yesterday, corrected_mg="80")  # fix28b: the plan ends before today (WINDOW_DOSED_END)
    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today
    window_words = plan.end_reason
    dose = DoseRecord.objects.filter(patient=alice, local_date=today).latest("id")
    corrected(world, dose, void=True)
    plan.refresh_from_db()
    assert plan.end_reason != window_words  # WINDOW_VOIDED_END written
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today
    assert "voided" not in (plan.end_reason or ""), plan.end_reason
    assert today.isoformat() in (plan.end_reason or "")
