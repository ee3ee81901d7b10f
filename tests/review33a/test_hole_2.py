"""Review 33a hole 2: after fix32d, an earlier day's keep back whose bottles never left stands when that
day's dose is corrected up (`go_on.never_left` -> `corrected_back`): right for the bottles (none at home,
FHIR `cancelled`, the window doses her today), but the end is re-written in the corrected-back words for
bottles that went home: "The bottles for <today>, <tomorrow> are not at home (brought back, or their days
are past): the dose of <yesterday> they were to go home with was corrected down and later back up to 80 mg".
None was handed out, none brought back, tomorrow is not past, and the dose was recorded at 40 mg and
corrected up, never down."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.queries.take_home_plans import bottles_at_home
from keel.treatment.services import record_dose
from tests.conftest import World
from tests.factories import corrected, methadone_with_take_home_plan


def _kept_back_yesterday_corrected_up_today(world: World) -> TakeHomePlan:
    """A plan (bottles today and tomorrow) decided two days ago; yesterday 40 mg at the window, the two 80 mg
    bottles kept back (they never left); today the nurse corrects yesterday's dose to 80 mg. The plan."""
    now = timezone.now()
    plan, _first = methadone_with_take_home_plan(world, now - timedelta(days=2), days_earlier=1)
    with time_machine.travel(now - timedelta(days=1), tick=True):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
        dose = DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan


def test_no_bottle_is_at_home(world: World) -> None:
    plan = _kept_back_yesterday_corrected_up_today(world)
    today = local_today(world.alice)
    assert plan.pk not in bottles_at_home(world.alice, today)


def test_end_never_says_bottles_never_handed_out_were_brought_back_or_past(world: World) -> None:
    plan = _kept_back_yesterday_corrected_up_today(world)
    assert "brought back, or their days are past" not in plan.end_reason


def test_end_never_says_a_dose_corrected_up_was_corrected_down(world: World) -> None:
    plan = _kept_back_yesterday_corrected_up_today(world)
    assert "corrected down" not in plan.end_reason
