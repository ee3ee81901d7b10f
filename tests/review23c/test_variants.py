"""Review 23c variants (fix23c): a correction of an earlier day's dose and the bottles of its run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.queries.take_home_plans import plan_days
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World
from tests.factories import given_on, methadone_with_take_home_plan, pinned_at_last_five_pm_utc

REASON = "recorded 80 mg, the cup held 40 mg"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _handed(world: World, back: int) -> tuple[TakeHomePlan, DoseRecord, dict[str, str], date]:
    """Alice given 80 mg `back` days ago, with the plan's two bottles (the next two days) handed out."""
    today = local_today(world.alice)
    day = today - timedelta(days=back)
    decided = datetime.combine(day - timedelta(days=1), time(15), tzinfo=UTC)
    plan, first = methadone_with_take_home_plan(world, decided, days_earlier=back)
    order = MedicationOrder.objects.get(patient=world.alice, medication="methadone")
    dose = given_on(world, order, day, 80, 9)
    handed = {first.isoformat(): "80", (first + timedelta(days=1)).isoformat(): "80"}
    TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_mg=handed)
    return plan, dose, handed, first


def _amend(world: World, dose: DoseRecord, mg: str) -> list[str]:
    amendment = amend_dose(
        by=world.staff["nurse"], patient_id=world.alice.pk, dose_id=dose.pk, corrected_mg=mg, reason=REASON
    )
    return [str(w) for w in amendment.warnings or ()]


def test_four_days_back_a_run_wholly_past_stands_and_nothing_is_said_of_calling_back(world: World) -> None:
    plan, dose, handed, _first = _handed(world, 4)
    told = _amend(world, dose, "40")
    plan.refresh_from_db()
    assert plan.bottle_mg == handed
    assert not plan.bottles_taken_back
    assert plan.ended_on is None
    assert not any("Call the person back" in w for w in told), told


def test_correction_down_then_back_up_leaves_the_past_run_as_it_was(world: World) -> None:
    plan, dose, handed, first = _handed(world, 3)
    _amend(world, dose, "40")
    corrected = DoseRecord.objects.filter(patient=world.alice, local_date=dose.local_date).order_by("-pk")
    again = corrected.first()
    assert again is not None
    _amend(world, again, "80")
    plan.refresh_from_db()
    assert plan.bottle_mg == handed
    assert not plan.bottles_taken_back
    assert plan.ended_on is None
    assert {first, first + timedelta(days=1)} <= plan_days(plan)


def test_a_run_reaching_today_is_taken_back_and_the_nurse_calls_her_back(world: World) -> None:
    """Two days back: the run is yesterday and today; today's bottle is still in her hands, above what the
    window would now give: taken back, and the nurse is told to call her back (the plan stops before today,
    lane fix23d: yesterday's bottle left and was drunk, so the plan ends yesterday, not on the dose's day)."""
    today = local_today(world.alice)
    plan, dose, _handed_out, first = _handed(world, 2)
    assert first == today - timedelta(days=1)
    told = _amend(world, dose, "40")
    plan.refresh_from_db()
    assert plan.ended_on == today - timedelta(days=1)
    assert today.isoformat() in (plan.bottles_taken_back or {})
    assert today.isoformat() not in (plan.bottle_mg or {})
    assert any("Call the person back" in w for w in told), told
