"""Review 29b H2: a consent in the patient's own name saved while her death is recorded. Both take the
record's lock (`patients.models.lock_for_account_change`; the consent through `died_under_lock`, the one
second look emergency access and a disclosure take too) before they read what the other writes: a consent
saved first was signed before the death and stays; a consent saved while the death is being recorded waits,
then sees it, writes nothing and is audited as refused. PostgreSQL only (real threads, two connections;
SQLite's IMMEDIATE transactions serialise writers); the first writer is paused just after it took the
record's lock until the second is seen waiting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from keel.audit.models import AuditEvent
from keel.core import sharing as core
from keel.patients.models import death_recorded, local_today
from keel.patients.services import episodes
from keel.sharing.errors import SharingInvalid
from keel.sharing.models import Consent
from keel.sharing.services import consents
from tests.conftest import World
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter
from tests.review27b.test_death_and_activation import _record_death

pytestmark = RACE_ON_POSTGRESQL


def _paper_consent(world: World) -> Any:
    raw = {
        "recipient_name": "Dr. Ana Ortiz, Hillcrest Family Clinic",
        "purpose": "treatment",
        "categories": [core.RECORD],
        "expires_on": (local_today(world.alice) + timedelta(days=30)).isoformat(),
        "signature": "Alicia Zamorano",
        "understood": True,
    }
    return lambda: consents.record_paper_consent(
        by=world.staff["counselor"], patient_id=world.alice.pk, raw=raw
    )


def _both(world: World, first: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    module, name = (
        (consents, "died_under_lock") if first == "consent" else (episodes, "lock_for_account_change")
    )
    pause = Pause(getattr(module, name))
    monkeypatch.setattr(module, name, pause)
    outcomes: dict[str, Any] = {}
    works = {"consent": _paper_consent(world), "death": lambda: _record_death(world, world.alice)}
    second = "death" if first == "consent" else "consent"
    one = run(works[first], outcomes, first)
    assert pause.held.wait(timeout=30)
    two = run(works[second], outcomes, second)
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert waited, "the second waited for the record's lock"
    return outcomes


def test_a_consent_saved_first_is_written(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    outcomes = _both(world, "consent", monkeypatch)
    assert isinstance(outcomes["consent"], Consent)


def test_the_death_recorded_after_a_consent_saved_first_is_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    _both(world, "consent", monkeypatch)
    assert death_recorded(world.alice.pk)


def test_a_consent_saved_while_the_death_is_recorded_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    outcomes = _both(world, "death", monkeypatch)
    assert isinstance(outcomes["consent"], SharingInvalid)


def test_a_consent_saved_while_the_death_is_recorded_names_the_signer(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    outcomes = _both(world, "death", monkeypatch)
    assert [e.field for e in outcomes["consent"].errors] == ["signer"]


def test_a_consent_saved_while_the_death_is_recorded_writes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    _both(world, "death", monkeypatch)
    assert not Consent.objects.filter(patient=world.alice).exists()


def test_the_consent_refused_under_the_lock_is_audited(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    _both(world, "death", monkeypatch)
    refused = AuditEvent.objects.filter(
        patient_id=world.alice.pk,
        target_type="consent",
        outcome="denied",
        reason="a death is recorded for this person",
    )
    assert refused.count() == 1
