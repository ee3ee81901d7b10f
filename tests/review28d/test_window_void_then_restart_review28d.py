"""Review 28d (an OTP pharmacist with a dosing nurse): after lane fix28c's `window_dose_gone` tells the nurse
the plan "stays stopped (a prescriber decides take-home doses again)" and writes that on the plan
(`WINDOW_VOIDED_END`), a later correction of the dose the bottles went home with, to 0 and back up,
makes the plan go on again without a prescriber (the end is read as the window's own)."""

from __future__ import annotations

import pytest

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday

pytestmark = pytest.mark.django_db


def test_window_voided_end_stays_ended_after_yesterday_to_zero_and_back(world: World) -> None:
    """Hole 2. Yesterday Alice took 80 mg and her bottles for today and tomorrow went home. Yesterday's dose
    is voided (plan ends), today she is dosed 80 mg at the window, yesterday's dose is corrected back to 80
    mg (fix28b: the plan ends before today), today's window dose is voided (fix28c: "the take-home plan ...
    stays stopped (a prescriber decides take-home doses again)", on the plan and to the nurse). Then the
    nurse corrects yesterday's dose to 0 mg and back to 80 mg (a typo fixed twice). Right: the plan stays
    ended as the record told everyone, until a prescriber decides. Found: the plan goes on (ended_on None,
    covering today and tomorrow), the nurse is told "nobody needs to call the person back", no prescriber."""
    plan, yesterday = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    corrected(world, yesterday, void=True)
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")
    corrected(world, yesterday, corrected_mg="80")
    dose = DoseRecord.objects.filter(patient=alice, local_date=today).latest("id")
    corrected(world, dose, void=True)
    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today
    assert "prescriber decides" in plan.end_reason
    corrected(world, yesterday, corrected_mg="0")
    corrected(world, yesterday, corrected_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today, "the plan went on without a prescriber"
