"""Session 21, item 4: a staff API token's first binding to a recipient (`ApiToken.recipient_name`, review
20c), raced on PostgreSQL (real threads, two connections): two first releases of the same unbound token at
once, to two recipients (two consents). Both pass the first check (the token is unbound when each reads it);
inside the release's transaction `accounts.bind_token_recipient` locks the token's row, so exactly one binds
it and releases the record, and the other, waiting for that lock, then sees the binding and is refused (403,
audited; no Disclosure written for it).

The first binder is paused inside its transaction, after its lock, until the second is seen waiting for a lock
(`tests.lock_waits`): serialised by the lock, not by timing. SQLite is skipped: its writers take the one
database write lock when their transaction begins (IMMEDIATE), so the two releases are one after the other."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from keel.accounts import services as accounts
from keel.accounts.models import ApiToken
from keel.sharing.models import Disclosure
from tests.lock_waits import Pause, run, wait_for_a_lock_waiter
from tests.review20c.conftest import world
from tests.review20c_fixes.helpers import client_for, consent

__all__ = ["world"]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
        reason="two connections at once: PostgreSQL (SQLite's IMMEDIATE transactions serialise writers)",
    ),
]
RECIPIENTS = ("County HIE", "Acme Employer")


def test_two_first_releases_to_two_recipients_bind_the_token_once(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert connection.vendor == "postgresql"
    _client, secret = client_for(world["staff"]["prescriber"])
    consents = {
        "County HIE": consent(world, "County HIE", "treatment"),
        "Acme Employer": consent(world, "Acme Employer", "employment"),
    }
    pause = Pause(accounts.bind_token_recipient)
    both_checked = threading.Barrier(2)

    def bind(secret: str, recipient: str) -> bool:
        # both releases have passed the first check (unbound) before either binds
        both_checked.wait(timeout=30)
        if threading.current_thread().name != RECIPIENTS[0]:
            assert pause.held.wait(timeout=30)  # the other binds first, and holds its lock
        return bool(pause(secret, recipient))

    monkeypatch.setattr(accounts, "bind_token_recipient", bind)
    outcomes: dict[str, Any] = {}

    def read(recipient: str) -> Any:
        return lambda: (
            Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
            .get(f"/fhir/R4/Patient/{world['patient'].pk}", HTTP_KEEL_CONSENT=str(consents[recipient].pk))
            .status_code
        )

    threads = [run(read(name), outcomes, name) for name in RECIPIENTS]
    assert pause.held.wait(timeout=30)
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    for t in threads:
        t.join(timeout=60)
    assert outcomes == {"County HIE": 200, "Acme Employer": 403}, outcomes
    assert waited, "the second release did not wait for the first's lock of the token"
    assert ApiToken.objects.get().recipient_name == "County HIE"
    assert [d.recipient_name for d in Disclosure.objects.all()] == ["County HIE"]
