"""Review 28d (an OTP pharmacist with a dosing nurse): lane fix28c's call-back after a correction
(`_newly_called_back`) leaves out every bottle whose ISO day another word of the correction names, whatever
that word says: a routine "bottles handed out with this dose" hides a call-back of a person on a hold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, prescriber_ends


@pytest.mark.django_db
def test_hold_today_prescriber_end_under_void_corrected_back_tells_call_back(world: World) -> None:
    """Hole 3. Yesterday Alice took 80 mg; her bottles for today and tomorrow went home. The prescriber ends
    the plan after today. Yesterday's dose is voided (the voided end is written over the prescriber's). Today
    she comes to the window sedated: the nurse records a hold. Then yesterday's dose is corrected back to 80
    mg. The record now holds both bottles at home, certainly, and the plan (ended the day before yesterday's
    void's day) covers neither: the call-back list names today and tomorrow. Right: the nurse is told to call
    her back for them (she is on a hold and has today's and tomorrow's methadone at home). Found: the only
    word is "Take-home bottles handed out with this dose: <today> 80 mg; <tomorrow> 80 mg" (it names the
    days, so `CORRECTION_CALL_BACK` is suppressed); the plan's end still says the bottles "were not handed
    out"."""
    plan, yesterday = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    tomorrow = today + timedelta(days=1)
    prescriber_ends(
        world, plan, "Reassessing after a missed group; take-homes stop.", from_day=tomorrow.isoformat()
    )
    corrected(world, yesterday, void=True)
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, sedated=True, bottle_returned=True)
    amendment = corrected(world, yesterday, corrected_mg="80")
    listed = call_back(alice, today).get(plan.pk, {})
    assert today in listed and tomorrow in listed  # the record's own call-back list names both
    words = " ".join(r.text for r in amendment.warnings or ())
    assert "call the person back" in words.lower(), words
