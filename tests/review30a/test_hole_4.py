"""Review 30a hole 4: `held_since` counts a hold from before the plan was decided. A prescriber decides a
plan after a hold that day (released, she was dosed after it); a typo correction of that dose (down, then
back up) can then never let the run go on: the plan stays stopped for good, its end naming the 40 mg typo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import TakeHomePlan
from keel.treatment.queries.take_home_plans import plan_days
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import corrected, given_daily, held_then_released, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_hold_before_the_decision_does_not_stop_a_typo_correction(world: World) -> None:
    """Alice on methadone 80 mg, dosed nine days up to yesterday. Today she is held at the window three hours
    ago (sedated), the prescriber assesses and releases it; two hours ago she takes 80 mg; an hour ago the
    prescriber, having seen the hold, decides take-home doses for tomorrow and the day after, handed out
    with today's dose (rows, as the decision records them). The nurse then corrects today's dose to 40 mg
    (typo: the run is kept back, call the person back) and straight back to 80 mg. The hold came before
    the prescriber's decision (`prescribing._held_since` put it to them), so the correction undoes the keep
    back as it would with no hold: the plan covers both days again. Today it stays stopped (`held_since`
    reads any hold on the dose's day, before the decision too) and the end keeps the 40 mg typo's words."""
    alice = world.alice
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    today = local_today(alice)
    given_daily(world, order, [today - timedelta(days=n) for n in range(9, 0, -1)], 80)
    now = timezone.now()
    held_then_released(world, at=now - timedelta(hours=3))
    dose = record_dose(
        by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80", now=now - timedelta(hours=2)
    ).dose
    days = [today + timedelta(days=n) for n in (1, 2)]
    plan = TakeHomePlan.objects.create(
        patient=alice,
        decided_by=world.staff["prescriber"],
        decided_at=now - timedelta(hours=1),
        days_in_treatment=10,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=2,
        bottles=[d.isoformat() for d in days],
        enrollment=alice.enrollments.order_by("-started_on").first(),
        bottle_mg={d.isoformat(): "80.00" for d in days},
    )
    corrected(world, dose, corrected_mg="40")
    corrected(world, dose, corrected_mg="80")

    plan.refresh_from_db()
    assert set(days) <= plan_days(plan), f"plan stays stopped: {plan.end_reason!r}"
