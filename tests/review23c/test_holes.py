"""Review 23c: ordinary clinical input that leaves the take-home bottle record saying something untrue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest

from keel.patients.models import local_today
from keel.treatment.models import MedicationOrder, TakeHomePlan
from keel.treatment.queries.take_home_plans import plan_days
from keel.treatment.services.doses.corrections import amend_dose
from tests.conftest import World
from tests.factories import given_on, methadone_with_take_home_plan, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_lowering_an_earlier_days_dose_takes_back_bottles_already_drunk(world: World) -> None:
    """Hole 1: three days ago Alice took her 80 mg at the window and went home with two bottles (the day
    before yesterday and yesterday); she drank them. Today the nurse corrects that day's dose down to 40 mg (a
    recording error). The record now says those two bottles were taken back (never in her hands), the plan
    ended three days ago, and the nurse is told to call her back to bring in bottles for days already gone.
    A void of such a day leaves a run wholly past as it is; a correction down does not: the record of what
    left the clinic is rewritten, and the prescriber's plan is ended by a nurse's correction of the past."""
    alice = world.alice
    today = local_today(alice)
    three_ago = today - timedelta(days=3)
    decided = datetime.combine(three_ago - timedelta(days=1), time(15), tzinfo=UTC)
    plan, first = methadone_with_take_home_plan(world, decided, days_earlier=3)
    assert first == today - timedelta(days=2)
    order = MedicationOrder.objects.get(patient=alice, medication="methadone")
    dose = given_on(world, order, three_ago, 80, 9)
    handed = {first.isoformat(): "80", (first + timedelta(days=1)).isoformat(): "80"}
    TakeHomePlan.objects.filter(pk=plan.pk).update(bottle_mg=handed)

    amendment = amend_dose(
        by=world.staff["nurse"],
        patient_id=alice.pk,
        dose_id=dose.pk,
        corrected_mg="40",
        reason="recorded 80 mg, the cup held 40 mg",
    )

    plan.refresh_from_db()
    assert plan.bottle_mg == handed, (
        f"bottles she drank recorded as taken back: {plan.bottle_mg} / {plan.bottles_taken_back}; "
        f"ended {plan.ended_on}; told {[str(w) for w in amendment.warnings or ()]}"
    )


def test_lowering_an_earlier_days_dose_ends_the_prescribers_later_run(world: World) -> None:
    """Hole 2 (hole 1's root, another harm): the plan has a second run later (the day after tomorrow and the
    day after). Three days ago she took 80 mg and went home with the first run, now drunk. The nurse corrects
    that day's dose to 40 mg: the plan ends three days ago, so the prescriber's later take-home days become
    clinic days. No prescriber decided this, and no day of that later run follows the corrected dose."""
    alice = world.alice
    today = local_today(alice)
    three_ago = today - timedelta(days=3)
    decided = datetime.combine(three_ago - timedelta(days=1), time(15), tzinfo=UTC)
    plan, first = methadone_with_take_home_plan(world, decided, days_earlier=3)
    later = [today + timedelta(days=2), today + timedelta(days=3)]
    TakeHomePlan.objects.filter(pk=plan.pk).update(
        bottles=[*plan.bottles, *(d.isoformat() for d in later)],
        bottle_mg={first.isoformat(): "80", (first + timedelta(days=1)).isoformat(): "80"},
    )
    order = MedicationOrder.objects.get(patient=alice, medication="methadone")
    dose = given_on(world, order, three_ago, 80, 9)

    amend_dose(
        by=world.staff["nurse"],
        patient_id=alice.pk,
        dose_id=dose.pk,
        corrected_mg="40",
        reason="recorded 80 mg, the cup held 40 mg",
    )

    plan.refresh_from_db()
    assert set(later) <= plan_days(plan), f"the later run is gone: plan ended {plan.ended_on}"
