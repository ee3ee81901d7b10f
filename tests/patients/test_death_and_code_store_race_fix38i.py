"""Lane fix38i (re38b finding 3): a death recorded while a desk code is being stored. The store asks
`died_under_lock` under the record's lock, the lock a death's discharge takes first, so the store waits for
the death and then sees it: no code of the three kinds is stored or handed out. PostgreSQL only (real
threads, two connections); the death is paused just after it took the record's lock until the store is
seen waiting."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import ActivationCode, Patient
from keel.patients.schemas import ResetCodeIn
from keel.patients.services import activation, episodes, password_reset
from keel.selfguided import services as selfguided
from keel.selfguided.errors import SelfGuidedInvalid
from keel.selfguided.models import LinkCode
from tests.conftest import World
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter
from tests.review27b.test_death_and_activation import _no_account_yet, _record_death

pytestmark = RACE_ON_POSTGRESQL


def _store_as_death_is_recorded(
    world: World, patient: Patient, store: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> Any:
    pause = Pause(episodes.lock_for_account_change)
    monkeypatch.setattr(episodes, "lock_for_account_change", pause)
    outcomes: dict[str, Any] = {}
    death = run(lambda: _record_death(world, patient), outcomes, "death")
    assert pause.held.wait(timeout=30)
    code = run(store, outcomes, "code")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    death.join(timeout=60)
    code.join(timeout=60)
    assert waited, "the store waited for the record's lock"
    return outcomes["code"]


def test_no_activation_code_is_stored_as_a_death_is_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    patient = _no_account_yet(world)
    store = partial(activation.issue_activation_code, by=world.staff["program_admin"], patient_id=patient.pk)
    assert isinstance(_store_as_death_is_recorded(world, patient, store, monkeypatch), FieldsInvalid)
    assert not ActivationCode.objects.filter(patient=patient).exists()


def test_no_link_code_is_stored_as_a_death_is_recorded(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    patient = _no_account_yet(world)
    store = partial(selfguided.issue_link_code, by=world.staff["program_admin"], patient_id=patient.pk)
    assert isinstance(_store_as_death_is_recorded(world, patient, store, monkeypatch), SelfGuidedInvalid)
    assert not LinkCode.objects.filter(patient=patient).exists()


def test_no_reset_code_is_stored_as_a_death_is_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    body = ResetCodeIn.posted({"identity_checked": True})
    store = partial(
        password_reset.issue_reset_code, by=world.staff["nurse"], patient_id=world.alice.pk, data=body
    )
    assert isinstance(_store_as_death_is_recorded(world, world.alice, store, monkeypatch), FieldsInvalid)
    assert not ActivationCode.objects.filter(patient=world.alice).exists()
