"""Review 34a hole 2 (the lead's open lead, confirmed): a keep back whose bottles never left, corrected up the
same day and then voided, keeps the words of the correction. Today Alice takes 40 mg at the window; her
80 mg bottles for tomorrow and the day after are kept back. The nurse corrects the dose to 80 mg (fix33b:
the keep back stands, "that dose was later corrected to 80 mg ... they stay at the clinic"), then learns
the dose was recorded for the wrong person and voids it. The end still reads "... and that dose was later
corrected to 80 mg": a dose the record no longer holds (`go_on.after_keep_back`: a void of today's dose
goes to `_go_on_after_kept_back`, which returns at a total of 0 and leaves the end's words as they were;
only an earlier day's void is re-worded, `voided_since`). Should: the end says the dose they were kept back
with no longer stands (voided), never that it stands at 80 mg."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.queries.take_home_plans import bottles_at_home
from keel.treatment.services import record_dose
from tests.conftest import World
from tests.factories import corrected, methadone_with_take_home_plan, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Inside dosing hours, whatever the hour the suite runs."""
    yield from pinned_at_last_five_pm_utc()


def _kept_back_corrected_up_then_voided(world: World) -> TakeHomePlan:
    """A plan decided yesterday (bottles tomorrow and the day after); today 40 mg at the window (kept back),
    corrected to 80 mg, then voided. The plan, read again."""
    plan, _first = methadone_with_take_home_plan(world, timezone.now() - timedelta(days=1))
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
    dose = DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")
    corrected(world, dose, corrected_mg="80")
    corrected(world, dose, "Recorded for the wrong person.", void=True)
    plan.refresh_from_db()
    return plan


def test_context_no_bottle_is_at_home(world: World) -> None:
    plan = _kept_back_corrected_up_then_voided(world)
    assert plan.pk not in bottles_at_home(world.alice, local_today(world.alice))


def test_the_end_never_says_a_voided_dose_stands_at_80_mg(world: World) -> None:
    plan = _kept_back_corrected_up_then_voided(world)
    assert "corrected to 80 mg" not in plan.end_reason
