"""Review 28c: a hold today, then yesterday's kept-back dose corrected back up, resumes the plan.

`_go_on_after_kept_back` asks `_resume_refused(patient, plan, today)` with the dose's day (yesterday), so
`held_today` looks at yesterday, not at the day of the correction: a hold recorded today does not stop the
plan from going on."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, held_then_released, methadone_with_take_home_plan

pytestmark = pytest.mark.django_db


def test_hold_today_then_yesterdays_keep_back_corrected_back_does_not_resume(world: World) -> None:
    """The nurse: yesterday Alice took 80 mg and her bottles for today and tomorrow went home; later
    yesterday the dose was corrected to 40 mg (a typo, it seemed), so the window would not give the 80 mg
    bottles after it: the plan was kept back and the nurse told to call her back. Today Alice came in
    sedated: her dose was held (the prescriber later released the hold). Then the pump log showed
    yesterday's 80 mg was right: corrected back to 80. What went wrong: the plan goes on again (no end,
    "Take-home bottles handed out with this dose"): take-home doses restart for a person held for sedation
    today, with no prescriber deciding, and the call-back for the bottles at home is dropped. What is right:
    as at the window the same day (review 23b hole 1: a hold ends the plans and releasing it never brings
    them back), a hold today keeps the plan ended; a prescriber decides take-home doses again."""
    alice = world.alice
    today = local_today(alice)
    yesterday = today - timedelta(days=1)
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=2), days_earlier=1)
    with time_machine.travel(datetime.combine(yesterday, time(17), tzinfo=UTC), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")
        dose = DoseRecord.objects.filter(patient=alice, local_date=yesterday).latest("id")
        corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    assert plan.ended_on is not None  # kept back yesterday
    held_then_released(world)

    corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today, "the plan goes on after a hold today"
