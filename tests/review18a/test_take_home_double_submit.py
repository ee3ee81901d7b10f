"""Review 18a: a double submit of the take-home decision gives two plans with the same bottles."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from keel.treatment.models import Medication, TakeHomePlan
from keel.treatment.services import take_homes
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe

pytestmark = pytest.mark.django_db(transaction=True)

CRITERIA = {
    "no_active_risky_use": True,
    "regular_attendance": True,
    "no_serious_behavior_problems": True,
    "no_known_recent_diversion": True,
    "safe_transport_and_storage": True,
    "other_factors_considered": True,
}


def test_double_submitted_take_home_decision_gives_one_supply(world: Any, monkeypatch: Any) -> None:
    """Scenario: Alice is on day 3 of methadone (observed doses on days 1 and 2); federal ladder: at most 7
    days of take-home supply in days 1-14. The prescriber decides take-homes on the page and the form is
    sent twice (a double click, a retry on a slow connection). Each request checks the supply
    (`_supply_problem`: bottles outstanding, no day with two bottles, the supply allowed) before either
    saves; `_save_plan` then takes the person's lock but re-checks only a hold, not the outstanding bottles.
    Both plans are saved, each with the same seven bottle days.

    Impact: 14 bottles of methadone for 7 days on day 3 of treatment, two a day: twice the federal ceiling
    of 42 CFR 8.12(i), the diversion and overdose risk the ladder exists for, and two bottles for one day
    (the guard "one bottle a day").

    Safe outcome: the supply check is made under the person's lock with the plan's save: one plan saved,
    the other refused (TreatmentInvalid, "a take-home plan already gives a bottle for ...").
    """
    if connection.vendor != "postgresql":
        pytest.skip("a race of two connections: run on PostgreSQL (KEEL_DATABASE_URL)")
    zone = ZoneInfo("America/New_York")
    alice, prescriber, nurse = world.alice, world.staff["prescriber"], world.staff["nurse"]
    day1 = datetime(2026, 11, 16, 10, 0, tzinfo=zone)
    prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="30", now=day1)
    record_dose(by=nurse, patient_id=alice.pk, medication=Medication.METHADONE, amount_mg="30", now=day1)
    day2 = datetime(2026, 11, 17, 10, 0, tzinfo=zone)
    record_dose(by=nurse, patient_id=alice.pk, medication=Medication.METHADONE, amount_mg="30", now=day2)
    day3 = datetime(2026, 11, 18, 9, 0, tzinfo=zone)

    barrier = threading.Barrier(2)
    original = take_homes._refuse_supply_problem

    def check_then_meet(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        # both requests have checked the supply before either saves (a lock would make this wait time out)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        return out

    monkeypatch.setattr(take_homes, "_refuse_supply_problem", check_then_meet)
    outcomes: list[object] = []

    def decide() -> None:
        try:
            outcomes.append(
                take_homes.decide_take_home(by=prescriber, patient_id=alice.pk, criteria=CRITERIA, now=day3)
            )
        except Exception as exc:  # a refusal is the safe outcome
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    plans = list(TakeHomePlan.objects.filter(patient=alice))
    bottles = [day for plan in plans for day in plan.bottles]
    assert plans and bottles, f"no plan saved at all: {outcomes}"
    assert len(bottles) == len(set(bottles)) <= 7, (
        f"{len(plans)} plans, bottles {sorted(bottles)}: {outcomes}"
    )
