"""Lane fix22m (review 22m, hole 2) on PostgreSQL, real threads: the same re-write of a QTc-reasoned raise
posted twice at once. The first holds the episode's lock inside its transaction (`orders.episode_open`) while
the second runs its QTc gate and waits for that lock (`tests.lock_waits`: serialised by the lock, not by
timing). The first compares with the raise's level given (60) and carries its reason with the QTc rows it saw;
the second is refused as stale (lane med22's version, checked again under the lock), so a worse QTc after them
still stops the dose above 60: a double submit is no way around the gate. SQLite is
skipped (its IMMEDIATE transactions serialise writers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from keel.patients.models import local_today
from keel.recovery.common import StaleEdit
from keel.treatment.models import MedicationOrder
from keel.treatment.services import orders
from tests.conftest import World
from tests.factories import given_daily
from tests.lock_waits import Pause, run, wait_for_a_lock_waiter
from tests.review22m.test_qtc_gate_rewrites import NEEDS_NEW_ORDER, QTC_REASON, _dose, _order, _qtc

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
        reason="two connections at once: PostgreSQL (SQLite's IMMEDIATE transactions serialise writers)",
    ),
]


def _rewrite(world: World) -> Any:
    return lambda: orders.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="100"
    )


def test_two_rewrites_at_once_one_carries_the_reason_one_is_stale_and_a_worse_qtc_still_stops(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    today = local_today(world.alice, timezone.now())
    first = _order(world, "60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(5, 0, -1)], 60)
    _qtc(world, 505)
    _order(world, "100", QTC_REASON)
    pause = Pause(orders.episode_open)
    monkeypatch.setattr(orders, "episode_open", pause)
    outcomes: dict[str, Any] = {}
    one = run(_rewrite(world), outcomes, "one")
    assert pause.held.wait(timeout=30)
    two = run(_rewrite(world), outcomes, "two")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert waited, "the second re-write did not wait for the first one's lock"
    # Lane med22's version check, under the same lock: the second re-write read the orders before the first
    # was written, so it is stale and refused; the one written carries the reason with the rows it saw.
    assert isinstance(outcomes["one"], MedicationOrder), outcomes
    assert isinstance(outcomes["two"], StaleEdit), outcomes
    assert (outcomes["one"].raised_from_mg, outcomes["one"].qtc_reason) == (60, QTC_REASON)
    monkeypatch.undo()
    _qtc(world, 610)
    assert _dose(world, "70") == NEEDS_NEW_ORDER
