"""Review 31a hole 6: four bottles went home three days ago; yesterday the nurse corrected that dose down
(80 -> 40 mg: the bottles from yesterday on taken back, the plan ended the day before, the person called
back); today the prescriber, reading the pump log, corrects it back to 80 mg. Keel tells the nurse
"Take-home bottles handed out with this dose: <yesterday>, <today>, <tomorrow>" (`HANDED_OUT`, from
`go_on.judge_run` reached through `dispatch._run_at`: the take-back was written yesterday, so
`_taken_back_from` no longer reads it and `undo_take_back` / `corrected_back` never run), while the plan
stays ended with its 40 mg words and the call-back list still names today's and tomorrow's bottles as at
home and uncovered. The nurse's words and the call-back list contradict each other."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest

from keel.patients.models import zone_of
from keel.treatment.models import DoseAmendment
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.bottles.reasons import HANDED_OUT
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World
from tests.review31a._setup import four_bottles_home_three_days_ago

pytestmark = pytest.mark.django_db


def _corrected(
    world: World, dose_id: int, mg: str, reason: str, role: str, now: datetime | None = None
) -> DoseAmendment:
    return amend_dose(
        by=world.staff[role],
        patient_id=world.alice.pk,
        dose_id=dose_id,
        corrected_mg=mg,
        reason=reason,
        now=now,
    )


def test_next_day_correction_back_up_never_says_handed_out_of_bottles_still_called_back(world: World) -> None:
    plan, dose, today = four_bottles_home_three_days_ago(world)
    yesterday = datetime.combine(today - timedelta(days=1), time(12), tzinfo=zone_of(world.alice))
    _corrected(world, dose.pk, "40", "Pump log shows 40 mg given, not 80 mg as typed", "nurse", now=yesterday)
    back = _corrected(world, dose.pk, "80", "Checked the pump log again: 80 mg was right", "prescriber")
    told = {
        day
        for reason in back.warnings or ()
        if reason.template == HANDED_OUT
        for day in re.findall(r"\d{4}-\d{2}-\d{2}", reason.text)
    }
    called = {d.isoformat() for d in call_back(world.alice, today).get(plan.pk, {})}
    assert not told & called
