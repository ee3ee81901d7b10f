"""Lane fix27a (review 27a's note): recording bottles brought back takes the person's lock first, then the
plan's row (`take_homes.ending._end_plan`), the order a correction takes them in (`lock_person`). A nurse
recording both bottles brought back and another correcting yesterday's dose back up (after a slip to 0 mg)
are saved one after the other, each seeing the other: never a plan that covers a day whose bottle is
recorded on the clinic's shelf.

PostgreSQL only (real threads, two connections; SQLite's IMMEDIATE transactions serialise writers). Each
test pauses the first writer inside its transaction just after it took the person's lock, until the second
is seen waiting for a lock (`tests.lock_waits`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from keel.patients.models import local_today
from keel.treatment.queries import bottles_at_home, plan_days
from keel.treatment.services.common import PlanStillRunning
from keel.treatment.services.doses import corrections
from keel.treatment.services.take_homes import ending, record_bottles_brought_back
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday
from tests.lock_waits import Pause, run, wait_for_a_lock_waiter

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
        reason="two connections at once: PostgreSQL (SQLite's IMMEDIATE transactions serialise writers)",
    ),
]

BACK = "Both bottles brought back unopened to the window; seals intact"


def _setup(world: World) -> tuple[Any, Any, list[str]]:
    plan, dose = handed_out_yesterday(world)
    run_days = sorted(plan.bottle_mg)
    corrected(world, dose, corrected_mg="0")  # the slip: the plan ends, the bottles on the call-back list
    return plan, dose, run_days


def _brought_back(world: World, plan_id: int, days: list[str]) -> Any:
    return lambda: record_bottles_brought_back(
        by=world.staff["nurse"], patient_id=world.alice.pk, plan_id=plan_id, reason=BACK, returned_days=days
    )


def _back_up(world: World, dose: Any) -> Any:
    return lambda: corrected(world, dose, corrected_mg="80")


def _no_shelf_day_covered(world: World, plan: Any) -> None:
    plan.refresh_from_db()
    today = local_today(world.alice)
    covered = {d.isoformat() for d in plan_days(plan) if d >= today}
    home = {d.isoformat() for d in bottles_at_home(world.alice, today).get(plan.pk, {})}
    assert not covered & set(plan.returned_days or []), (sorted(covered), plan.returned_days)
    assert covered <= home, (sorted(covered), sorted(home))


def test_bottles_brought_back_first_then_the_correction_back_up_waits_and_sees_them(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nurse's record of both bottles brought back holds the person's lock; the correction back up
    waits for it, then sees them on the shelf: the plan stays ended, no day covered without its bottle."""
    assert connection.vendor == "postgresql"
    plan, dose, run_days = _setup(world)
    pause = Pause(ending.lock_person)
    monkeypatch.setattr(ending, "lock_person", pause)
    outcomes: dict[str, Any] = {}
    first = run(_brought_back(world, plan.pk, run_days), outcomes, "back")
    assert pause.held.wait(timeout=30)
    second = run(_back_up(world, dose), outcomes, "correction")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert not isinstance(outcomes["back"], BaseException), outcomes
    assert not isinstance(outcomes["correction"], BaseException), outcomes
    assert waited, "the correction did not wait for the person's lock"
    plan.refresh_from_db()
    assert sorted(plan.returned_days) == run_days
    assert plan.ended_on is not None and plan.ended_on < local_today(world.alice)
    _no_shelf_day_covered(world, plan)


def test_a_correction_back_up_first_then_the_bottles_brought_back_wait_and_see_the_plan_going_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The correction back up holds the person's lock; recording the bottles brought back waits for it,
    then finds the plan going on again (its bottles covered, at home): refused, nothing written."""
    assert connection.vendor == "postgresql"
    plan, dose, run_days = _setup(world)
    pause = Pause(corrections.lock_person)
    monkeypatch.setattr(corrections, "lock_person", pause)
    outcomes: dict[str, Any] = {}
    first = run(_back_up(world, dose), outcomes, "correction")
    assert pause.held.wait(timeout=30)
    second = run(_brought_back(world, plan.pk, run_days), outcomes, "back")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert not isinstance(outcomes["correction"], BaseException), outcomes
    assert isinstance(outcomes["back"], PlanStillRunning), outcomes
    assert waited, "recording the bottles brought back did not wait for the person's lock"
    plan.refresh_from_db()
    assert plan.ended_on is None and not plan.returned_days
    _no_shelf_day_covered(world, plan)
