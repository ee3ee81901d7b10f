"""Lane acct35: two sign-ups at the same instant, "MariaG" and "mariag", on PostgreSQL (real threads, two
connections, two transactions; SQLite's IMMEDIATE transactions serialise writers). The first inserts its
account and is paused before it commits; the second passes the name check (the first is not committed) and
its insert waits on the unique index; once the first commits, the second is refused naming `username`."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models.functions import Lower

from keel.accounts import services
from keel.accounts.models import User
from keel.accounts.services import people
from tests.conftest import PASSWORD
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter

pytestmark = RACE_ON_POSTGRESQL


def _make(name: str) -> Any:
    return lambda: services.create_user(username=name, role="patient", password=PASSWORD, program_slug=None)[
        0
    ]


def _race(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], bool]:
    pause = Pause(people.save_new_user)  # the first insert done, its transaction not yet committed
    monkeypatch.setattr(people, "save_new_user", pause)
    outcomes: dict[str, Any] = {}
    one = run(_make("MariaG"), outcomes, "first")
    assert pause.held.wait(timeout=30)
    two = run(_make("mariag"), outcomes, "second")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    return outcomes, waited


def test_the_second_waits_on_the_unique_index(monkeypatch: pytest.MonkeyPatch) -> None:
    _outcomes, waited = _race(monkeypatch)
    assert waited


def test_the_second_is_refused_naming_username(monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes, _waited = _race(monkeypatch)
    second = outcomes["second"]
    assert (type(second), getattr(second, "field", None)) == (services.AccountError, "username")


def test_the_first_keeps_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes, _waited = _race(monkeypatch)
    assert isinstance(outcomes["first"], User) and outcomes["first"].username == "MariaG"


def test_one_account_is_left(monkeypatch: pytest.MonkeyPatch) -> None:
    _race(monkeypatch)
    assert User.objects.annotate(key=Lower("username")).filter(key="mariag").count() == 1
