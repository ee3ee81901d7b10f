"""Review 28c: after fix28b's window end, yesterday's dose voided and corrected back up again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.take_homes.ending import record_bottles_brought_back
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday

pytestmark = pytest.mark.django_db


def test_back_up_again_tells_the_nurse_of_todays_bottle_at_home(world: World) -> None:
    """The nurse: yesterday's dose (bottles for today and tomorrow went home) was corrected to 0, Alice was
    dosed 80 mg at the window today, yesterday's dose corrected back to 80 (the plan ended before today:
    call her back). She brought tomorrow's bottle in; today's is still at home. Then yesterday's dose was
    voided (the nurse was told "if they left the clinic, call the person back" for today's bottle) and, the
    pump log checked again, corrected back to 80. What went wrong: this last correction tells the nurse only
    that tomorrow's bottle stays on the shelf; of today's bottle, now certainly at home (the dose it left with
    stands) while Alice also drank today's dose at the window, not a word (the call-back list names it).
    What is right: the nurse is told to call Alice back for today's bottle, as the first correction back up
    told her (`WINDOW_DOSED_CALL_BACK`)."""
    plan, dose = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    tomorrow = today + timedelta(days=1)
    corrected(world, dose, corrected_mg="0")
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")
    corrected(world, dose, corrected_mg="80")
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=alice.pk,
        plan_id=plan.pk,
        reason="She brought in the bottle for tomorrow unopened after our phone call today.",
        returned_days=[tomorrow.isoformat()],
    )
    corrected(world, dose, void=True)

    amendment = corrected(world, dose, corrected_mg="80")

    assert today in call_back(alice, today).get(plan.pk, {})
    told = " ".join(w.text for w in amendment.warnings)
    assert today.isoformat() in told, f"today's bottle at home is not named: {told!r}"
