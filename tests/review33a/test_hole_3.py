"""Review 33a hole 3: fix32d sends an earlier day's keep back whose bottles never left to `corrected_back`
for ANY total above 0 (`go_on.after_keep_back`: `stands` before the window is asked), so a correction to a
total the window still would not give the 80 mg bottles at (40 -> 60 mg) is written as "corrected down and
later back up to 60 mg" (kind `CORRECTED_BACK`) instead of the keep back said again with the window's
reason at 60 mg (`end_said_again`, as it was before fix32d and as a keep back whose bottles left still is).
The prescriber reading the end is no longer told that 80 mg bottles are not given after a 60 mg day."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from keel.treatment.models import DoseRecord, DoseStatus, PlanEnd, TakeHomePlan
from keel.treatment.services import record_dose
from tests.conftest import World
from tests.factories import corrected, methadone_with_take_home_plan


def _kept_back_yesterday_corrected_to_60(world: World) -> TakeHomePlan:
    """A plan (bottles today and tomorrow, 80 mg) decided two days ago; yesterday 40 mg at the window, the
    bottles kept back (they never left); today yesterday's dose corrected to 60 mg. The plan."""
    now = timezone.now()
    plan, _first = methadone_with_take_home_plan(world, now - timedelta(days=2), days_earlier=1)
    with time_machine.travel(now - timedelta(days=1), tick=True):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
        dose = DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")
    corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan


def test_the_plan_stays_ended(world: World) -> None:
    plan = _kept_back_yesterday_corrected_to_60(world)
    assert plan.ended_on is not None


def test_end_gives_the_windows_reason_at_60_mg(world: World) -> None:
    plan = _kept_back_yesterday_corrected_to_60(world)
    assert "over the last observed dose (60 mg)" in plan.end_reason


def test_end_never_says_back_up_to_a_total_still_too_low(world: World) -> None:
    plan = _kept_back_yesterday_corrected_to_60(world)
    assert "back up to 60 mg" not in plan.end_reason


def test_end_stays_a_keep_back(world: World) -> None:
    plan = _kept_back_yesterday_corrected_to_60(world)
    assert plan.end_kind == PlanEnd.KEPT_BACK
