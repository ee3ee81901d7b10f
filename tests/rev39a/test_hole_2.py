"""Review 39a hole 2: a closure-day bottle still goes home after the closure is called off.

42 CFR 8.12(i) allows one take-home dose to a person not otherwise eligible only for a day the program is
closed (clinical reference correction 9; `closure_day_supply` checks the day is a configured closure day).
The program then opens that day after all (the admin removes it from the closure days, an ordinary change
of plans). The closure-day plan stands and its bottle goes home with today's observed dose: a take-home
dose to a person who is not eligible, for a day the clinic is open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from keel.accounts.models import Program
from keel.patients.models import Patient, local_today
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.take_homes import decide_take_home
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _program_closed_on(world: World, days: list[str]) -> None:
    Program.objects.filter(pk=world.riverside.pk).update(closure_days=days)
    world.alice = Patient.objects.select_related("program").get(pk=world.alice.pk)


def test_a_closure_day_bottle_stays_at_the_clinic_once_the_program_opens_that_day(world: World) -> None:
    alice = world.alice
    today = local_today(alice)
    tomorrow = today + timedelta(days=1)
    order = prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    given_daily(world, order, [today - timedelta(days=n) for n in range(5, 0, -1)], 40)
    _program_closed_on(world, [tomorrow.isoformat()])
    plan = decide_take_home(
        by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=tomorrow.isoformat()
    )
    assert plan.bottles == [tomorrow.isoformat()]  # not otherwise eligible: the closure day's one dose

    _program_closed_on(world, [])  # the program opens tomorrow after all
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="40", sequence=1)

    plan = TakeHomePlan.objects.get(pk=plan.pk)
    assert tomorrow.isoformat() not in (plan.bottle_mg or {}), "the closure-day bottle went home"
