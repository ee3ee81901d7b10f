"""Lane fix37j (re37p finding 3) on PostgreSQL, two connections at once: a code given while an admin turns
its giver off, the turning-off paused after its last voiding of her codes (`deactivate_user`'s: none yet),
the program's row held (`staff._lock_program`). The code's store takes that row first too
(`lock_program_for_code`), so it waits, then asks the policy again and voids what it stored: the code never
works (before the fix it was stored at once, after the voiding, and worked)."""

from __future__ import annotations

from typing import Any

import pytest

from keel.accounts import staff
from keel.accounts.models import User
from keel.accounts.services import deactivation
from tests.accounts.test_leaver_codes_fix37e import KINDS, _issue, _patient_for, _works
from tests.conftest import World
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter

pytestmark = RACE_ON_POSTGRESQL


def _race(world: World, monkeypatch: pytest.MonkeyPatch, kind: str) -> dict[str, Any]:
    """The admin's turning-off paused once her codes are voided; the nurse's code given meanwhile."""
    nurse, admin = world.staff["nurse"], world.staff["program_admin"]
    patient = _patient_for(kind, world)
    pause = Pause(deactivation.void_codes_issued_by)  # the last voiding of the turning-off
    monkeypatch.setattr(deactivation, "void_codes_issued_by", pause)
    outcomes: dict[str, Any] = {}
    off = run(lambda: staff.deactivate(by=admin, program_slug="riverside", user_id=nurse.pk), outcomes, "off")
    assert pause.held.wait(timeout=30)
    given = run(lambda: _issue(kind, nurse, patient), outcomes, "code")
    outcomes["waited"] = wait_for_a_lock_waiter()
    pause.go.set()
    off.join(timeout=60)
    given.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("kind", KINDS)
def test_a_code_given_as_she_is_turned_off_does_not_work(
    world: World, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    code = _race(world, monkeypatch, kind)["code"]
    assert not _works(kind, code, world)


def test_the_code_waited_for_the_turning_off(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _race(world, monkeypatch, "activation")["waited"]


def test_she_is_turned_off(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _race(world, monkeypatch, "link")
    assert not User.objects.get(pk=world.staff["nurse"].pk).is_active
