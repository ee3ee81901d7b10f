"""Review 28c: a prescriber's new plan the same day, then yesterday's voided dose corrected back up.

`_after_voided` returns nothing when another plan covers a day of the run (`_resume_refused`), before
`_never_over_window` or any words: the old plan's bottles come back on the record as at home (the call-back
list names them), overlapping the window dose of today and the new plan's bottle of tomorrow, and the nurse
hears nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, two_bottle_plan

pytestmark = pytest.mark.django_db


def test_new_plan_today_then_yesterday_corrected_back_tells_the_nurse(world: World) -> None:
    """The nurse: yesterday Alice took 80 mg and her bottles for today and tomorrow went home. This morning
    yesterday's dose was voided (the plan ended, its bottles recorded taken back); the prescriber decided a
    new plan (bottles tomorrow and the day after); Alice drank 80 mg at the window and the new plan's two
    bottles went home with it. Then the pump log showed yesterday's 80 mg was hers: corrected back to 80.
    What went wrong: the correction warns nothing, while the record now holds the old plan's bottles for today
    and tomorrow as at home (the call-back list names them): today she also drank at the window, and
    tomorrow she holds two bottles (the old plan's and the new plan's): two doses for each day. What is
    right: the nurse is told to call Alice back for the old plan's bottles of today and tomorrow."""
    plan, dose = handed_out_yesterday(world)
    alice = world.alice
    today, tomorrow = local_today(alice), local_today(alice) + timedelta(days=1)
    corrected(world, dose, void=True)
    new = two_bottle_plan(world, timezone.now() - timedelta(minutes=5), tomorrow)
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")
    new.refresh_from_db()
    assert tomorrow.isoformat() in (new.bottle_mg or {})  # the new plan's bottle for tomorrow went home

    amendment = corrected(world, dose, corrected_mg="80")

    home = call_back(alice, today).get(plan.pk, {})
    assert {today, tomorrow} <= set(home)  # the record: the old plan's bottles are at home again
    told = " ".join(w.text for w in amendment.warnings)
    assert today.isoformat() in told and tomorrow.isoformat() in told, (
        f"the nurse is not told to call back the old plan's bottles: {told!r}"
    )
