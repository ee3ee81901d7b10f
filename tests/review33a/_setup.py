"""Review 33a set-up, copied from review 32d's (itself review 32a's and 31a's): a four-bottle weekend run
that went home three days ago (rows: the history, not the behaviour under test)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, given_on


def four_bottles_home_three_days_ago(world: World) -> tuple[TakeHomePlan, DoseRecord, date]:
    """Alice on methadone 80 mg, dosed at the window for eight days up to four days ago; a plan decided four
    days ago with bottles for the day before yesterday, yesterday, today and tomorrow; three days ago she
    took 80 mg at the window and the four bottles went home with it (`bottle_mg`, as the dose path writes
    it). The plan, that dose and today."""
    alice = world.alice
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    today = local_today(alice)
    given_daily(world, order, [today - timedelta(days=n) for n in range(11, 3, -1)], 80)
    days = [today + timedelta(days=n) for n in (-2, -1, 0, 1)]
    plan = TakeHomePlan.objects.create(
        patient=alice,
        decided_by=world.staff["prescriber"],
        decided_at=timezone.now() - timedelta(days=4),
        days_in_treatment=9,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=4,
        bottles=[d.isoformat() for d in days],
        enrollment=alice.enrollments.order_by("-started_on").first(),
    )
    dose = given_on(world, order, today - timedelta(days=3), 80, 9)
    plan.bottle_mg = {d.isoformat(): "80.00" for d in days}
    plan.save(update_fields=["bottle_mg"])
    return plan, dose, today
