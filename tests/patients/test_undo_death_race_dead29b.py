"""Lane dead29b: races around undoing a death recorded by mistake. The undo takes the record's lock first
(`lock_for_account_change`), as a death's discharge and a consent's signing do: two admins undoing at once,
one waits and then finds no death; a death recorded while an undo runs waits and then ends the episode the
undo opened again; a personal representative's consent signed while an undo runs waits and is then refused.
PostgreSQL only (real threads, two connections); the first writer is paused just after it took the record's
lock until the second is seen waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import DeathUndone, EndReason, Enrollment, death_recorded, local_today
from keel.patients.schemas import DischargeIn, UndoDeathIn
from keel.patients.services import deaths, episodes
from keel.sharing.models import Consent
from keel.sharing.services import consents
from keel.sharing.services.consents import record_paper_consent
from tests.conftest import World
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter

pytestmark = RACE_ON_POSTGRESQL
WHY = "Recorded for the wrong person at the desk: the death was another patient's relative"


def _death(world: World) -> Callable[[], Any]:
    return lambda: episodes.discharge(
        by=world.staff["nurse"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "deceased"})
    )


def _undo(world: World, admin: Any = None) -> Callable[[], Any]:
    return lambda: deaths.undo_death(
        by=admin or world.staff["program_admin"],
        patient_id=world.alice.pk,
        data=UndoDeathIn.posted({"reason": WHY}),
    )


def _representative(world: World) -> Callable[[], Any]:
    raw = {
        "signer": "representative",
        "representative_name": "Teodora Salinas",
        "representative_relationship": "personal_representative",
        "representative_authority": "Letters of administration from the county probate court",
        "recipient_name": "Harbor Estate Attorneys",
        "purpose": "treatment",
        "categories": ["record"],
        "expires_on": (local_today(world.alice) + timedelta(days=60)).isoformat(),
        "signature": "Teodora Salinas",
        "understood": True,
    }
    return lambda: record_paper_consent(by=world.staff["counselor"], patient_id=world.alice.pk, raw=raw)


def _second_admin(world: World) -> Any:
    from keel.accounts import services as accounts

    user, _device = accounts.create_user(
        username="r-admin-two",
        role="program_admin",
        password="a long enough passphrase 929",
        program_slug="riverside",
    )
    return user


def _race(
    first: Callable[[], Any], second: Callable[[], Any], module: Any, monkeypatch: pytest.MonkeyPatch
) -> dict:
    """`first` runs until it took the record's lock (in `module`), `second` starts and is seen waiting, then
    `first` commits. The two outcomes, by name."""
    pause = Pause(module.lock_for_account_change)
    monkeypatch.setattr(module, "lock_for_account_change", pause)
    outcomes: dict[str, Any] = {}
    one = run(first, outcomes, "first")
    assert pause.held.wait(timeout=30)
    two = run(second, outcomes, "second")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    assert waited, "the second waited for the record's lock"
    return outcomes


def test_two_admins_undoing_at_once_undo_it_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert connection.vendor == "postgresql"
    _death(world)()
    outcomes = _race(_undo(world), _undo(world, _second_admin(world)), deaths, monkeypatch)
    assert isinstance(outcomes["second"], FieldsInvalid)
    assert [e.field for e in outcomes["second"].errors] == ["patient"]
    assert DeathUndone.objects.filter(patient=world.alice).count() == 1


def test_two_admins_at_once_leave_her_alive_on_the_record(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _death(world)()
    _race(_undo(world), _undo(world, _second_admin(world)), deaths, monkeypatch)
    assert death_recorded(world.alice.pk) is False


def test_a_death_recorded_while_an_undo_runs_waits_and_is_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _death(world)()
    outcomes = _race(_undo(world), _death(world), deaths, monkeypatch)
    assert isinstance(outcomes["second"], Enrollment), outcomes
    assert Enrollment.objects.get(patient=world.alice).end_reason == EndReason.DECEASED


def test_an_undo_while_a_death_is_recorded_waits_and_undoes_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes = _race(_death(world), _undo(world), episodes, monkeypatch)
    assert isinstance(outcomes["second"], deaths.Undone), outcomes
    assert death_recorded(world.alice.pk) is False


def test_a_representatives_consent_signed_during_the_undo_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _death(world)()
    pause = Pause(consents.death_recorded)
    monkeypatch.setattr(consents, "death_recorded", pause)  # the signer read the death, then waits
    outcomes: dict[str, Any] = {}
    signing = run(_representative(world), outcomes, "consent")
    assert pause.held.wait(timeout=30)
    undoing = run(_undo(world), outcomes, "undo")
    undoing.join(timeout=60)
    pause.go.set()
    signing.join(timeout=60)
    assert isinstance(outcomes["undo"], deaths.Undone), outcomes
    assert not Consent.objects.filter(patient=world.alice, revocation__isnull=True).exists()
