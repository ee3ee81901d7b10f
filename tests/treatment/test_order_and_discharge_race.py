"""Session 21, item 4: a medication order written while the person's discharge commits, on PostgreSQL (real
threads, two connections). `prescribe` reads whether the episode is open under the episode row's lock
(`queries.orders.episode_open(lock=True)`), the same row `discharge` locks first: so the order is refused (the
discharge committed first) or the discharge sees it and stops it (the order committed first). Never an active
order left for someone whose episode ended.

Each test pauses the first writer inside its transaction, after its lock, until the second is seen waiting for
a lock (`tests.lock_waits`): the two are proved serialised by the lock, not by timing. SQLite is skipped: its
writers take the one database write lock when their transaction begins (IMMEDIATE), so two writers are always
one after the other there (tests/db/test_writer_queue.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from keel.patients.models import Enrollment, EnrollmentStatus
from keel.patients.schemas import DischargeIn
from keel.patients.services import episodes
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.services import orders
from tests.conftest import World
from tests.lock_waits import Pause, run, wait_for_a_lock_waiter

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
        reason="two connections at once: PostgreSQL (SQLite's IMMEDIATE transactions serialise writers)",
    ),
]


def _prescribe(world: World) -> Any:
    return lambda: orders.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="30"
    )


def _discharge(world: World) -> Any:
    return lambda: episodes.discharge(
        by=world.staff["prescriber"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )


def _in_care(world: World) -> bool:
    return Enrollment.objects.filter(patient=world.alice, status=EnrollmentStatus.ACTIVE).exists()


def _active_orders(world: World) -> list[MedicationOrder]:
    return list(MedicationOrder.objects.filter(patient=world.alice, status=OrderStatus.ACTIVE))


def test_an_order_written_first_is_stopped_by_the_discharge_that_waited(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order holds the episode's lock (read open); the discharge waits for it, then stops the order."""
    assert connection.vendor == "postgresql"
    pause = Pause(orders.episode_open)
    monkeypatch.setattr(orders, "episode_open", pause)
    outcomes: dict[str, Any] = {}
    first = run(_prescribe(world), outcomes, "order")
    assert pause.held.wait(timeout=30)
    second = run(_discharge(world), outcomes, "discharge")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert isinstance(outcomes["order"], MedicationOrder), outcomes
    assert isinstance(outcomes["discharge"], Enrollment), outcomes
    assert waited, "the discharge did not wait for the order's lock of the episode"
    assert not _in_care(world)
    assert _active_orders(world) == []
    stopped = MedicationOrder.objects.get(pk=outcomes["order"].pk)
    assert stopped.status == OrderStatus.STOPPED


def test_an_order_written_while_the_discharge_commits_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The discharge holds the episode's lock and has stopped the orders it saw; the order waits for the
    lock, then finds no open episode and is refused (422 naming `patient`), nothing written."""
    assert connection.vendor == "postgresql"
    pause = Pause(episodes._end_episode)
    monkeypatch.setattr(episodes, "_end_episode", pause)
    outcomes: dict[str, Any] = {}
    first = run(_discharge(world), outcomes, "discharge")
    assert pause.held.wait(timeout=30)
    second = run(_prescribe(world), outcomes, "order")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert isinstance(outcomes["discharge"], Enrollment), outcomes
    refused = outcomes["order"]
    assert isinstance(refused, TreatmentInvalid), outcomes
    assert [e.field for e in refused.errors] == ["patient"]
    assert waited, "the order did not wait for the discharge's lock of the episode"
    assert not _in_care(world)
    assert _active_orders(world) == []
    assert not MedicationOrder.objects.filter(patient=world.alice).exists()
