"""Lane fix27b: a death recorded while the person's activation code is being used. Both take the record's
lock (`patients.models.lock_for_account_change`) before they read what the other writes: the account made
first is turned off by the death's discharge; a code used after the death waits, then sees it and makes
nothing. PostgreSQL only (real threads, two connections; SQLite's IMMEDIATE transactions serialise writers);
the first writer is paused just after it took the record's lock until the second is seen waiting."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from keel.accounts.models import User
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import ActivationCode, EndReason, Enrollment, Patient
from keel.patients.services import activation, episodes
from tests.conftest import World
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter
from tests.review27b.test_death_and_activation import _no_account_yet, _record_death

pytestmark = RACE_ON_POSTGRESQL
PASS = "a long enough passphrase 927"


def _activate(code: str) -> Any:
    return lambda: activation.activate(code=code, username="d-race", password=PASS, password_again=PASS)


def _both(world: World, patient: Patient, code: str, first: str, monkeypatch: pytest.MonkeyPatch) -> dict:
    module = activation if first == "activation" else episodes
    pause = Pause(module.lock_for_account_change)
    monkeypatch.setattr(module, "lock_for_account_change", pause)
    outcomes: dict[str, Any] = {}
    works = {"activation": _activate(code), "death": lambda: _record_death(world, patient)}
    second_name = "death" if first == "activation" else "activation"
    one = run(works[first], outcomes, first)
    assert pause.held.wait(timeout=30)
    two = run(works[second_name], outcomes, second_name)
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert waited, "the second waited for the record's lock"
    return outcomes


def test_an_account_made_first_is_turned_off_by_the_death(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    patient = _no_account_yet(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)
    outcomes = _both(world, patient, issued.code, "activation", monkeypatch)
    assert isinstance(outcomes["activation"], User)
    assert outcomes["death"] is None
    assert Enrollment.objects.filter(patient=patient, end_reason=EndReason.DECEASED).exists()
    assert not User.objects.get(username="d-race").is_active


def test_a_code_used_while_the_death_is_recorded_makes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    patient = _no_account_yet(world)
    issued = activation.issue_activation_code(by=world.staff["program_admin"], patient_id=patient.pk)
    outcomes = _both(world, patient, issued.code, "death", monkeypatch)
    assert isinstance(outcomes["activation"], FieldsInvalid)
    assert not User.objects.filter(username="d-race").exists()
    assert Patient.objects.get(pk=patient.pk).user_id is None
    assert ActivationCode.objects.get(patient=patient).used_at is None
