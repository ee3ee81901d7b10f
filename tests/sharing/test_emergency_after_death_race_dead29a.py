"""Lane dead29a: break-the-glass while a death is recorded. Both take the record's lock
(`patients.models.lock_for_account_change`) before they read what the other writes: a grant made first is
ended by the death's discharge; a grant asked while the death is being recorded waits, then sees it, opens
nothing and is audited as a refused emergency access. PostgreSQL only (real threads, two connections;
SQLite's IMMEDIATE transactions serialise writers); the first writer is paused just after it took the
record's lock until the second is seen waiting."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from keel.audit.models import AuditEvent
from keel.patients.models import EmergencyAccess
from keel.patients.services import episodes
from keel.sharing.errors import SharingInvalid
from keel.sharing.services import emergency
from tests.conftest import PASSWORD, World
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter
from tests.review27b.test_death_and_activation import _record_death

pytestmark = RACE_ON_POSTGRESQL


def _glass(world: World) -> Any:
    return lambda: emergency.emergency_access(
        by=world.staff["nurse"],
        record_number=world.bob.record_number,
        reason="found unresponsive in the lobby, needs current medication",
        password=PASSWORD,
    )


def _both(world: World, first: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # the grant takes the record's lock through `died_under_lock` (review 29b: one second look)
    module, name = (
        (emergency, "died_under_lock") if first == "glass" else (episodes, "lock_for_account_change")
    )
    pause = Pause(getattr(module, name))
    monkeypatch.setattr(module, name, pause)
    outcomes: dict[str, Any] = {}
    works = {"glass": _glass(world), "death": lambda: _record_death(world, world.bob)}
    second = "death" if first == "glass" else "glass"
    one = run(works[first], outcomes, first)
    assert pause.held.wait(timeout=30)
    two = run(works[second], outcomes, second)
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert waited, "the second waited for the record's lock"
    return outcomes


def test_a_grant_made_first_is_ended_by_the_death(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    outcomes = _both(world, "glass", monkeypatch)
    assert outcomes["death"] is None
    assert EmergencyAccess.objects.get(patient=world.bob).ended_at is not None


def test_a_grant_asked_while_the_death_is_recorded_opens_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    outcomes = _both(world, "death", monkeypatch)
    assert isinstance(outcomes["glass"], SharingInvalid)
    assert not EmergencyAccess.objects.filter(patient=world.bob).exists()


def test_the_grant_refused_under_the_lock_is_audited(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    _both(world, "death", monkeypatch)
    refused = AuditEvent.objects.filter(
        patient_id=world.bob.pk,
        target_type="emergency_access",
        outcome="denied",
        reason="a death is recorded for this person",
    )
    assert refused.count() == 1
