"""Lane fix37b: a new bucket's write deletes the buckets past their window (`selfguided.limits._prune`), on
PostgreSQL with real threads and connections (SQLite's IMMEDIATE transactions serialise writers).

A bucket another request holds is skipped, not waited for; a bucket deleted between another request's read
and its lock was full, and that request makes it again (never a 500)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.selfguided import limits
from keel.selfguided.models import SignupBucket
from tests.lock_waits import RACE_ON_POSTGRESQL, Pause, run, wait_for_a_lock_waiter

pytestmark = RACE_ON_POSTGRESQL


def _expired(key: str) -> None:
    SignupBucket.objects.create(key=key, tokens=0.0, updated_at=timezone.now() - timedelta(days=2))


def _take(key: str) -> Any:
    return lambda: limits.take_token(key, 5, 3600.0)


def _prune_beside_a_bucket_in_use(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], bool]:
    """One request holds an expired bucket (locked, paused before it commits); another writes a new bucket
    meanwhile. Whether the second finished while the first still held its lock."""
    _expired("fix37b-held")
    pause = Pause(limits._locked_bucket)
    monkeypatch.setattr(limits, "_locked_bucket", pause)
    outcomes: dict[str, Any] = {}
    one = run(_take("fix37b-held"), outcomes, "held")
    assert pause.held.wait(timeout=30)
    two = run(_take("fix37b-new"), outcomes, "new")
    two.join(timeout=15)
    finished = not two.is_alive()
    pause.go.set()
    one.join(timeout=60)
    two.join(timeout=60)
    return outcomes, finished


def test_a_prune_does_not_wait_for_a_bucket_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    _outcomes, finished = _prune_beside_a_bucket_in_use(monkeypatch)
    assert finished


def test_a_bucket_in_use_is_not_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    _prune_beside_a_bucket_in_use(monkeypatch)
    assert SignupBucket.objects.filter(key="fix37b-held").exists()


def _take_while_it_is_deleted(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], bool]:
    """One request's new bucket deletes an expired one (paused before it commits); another takes the
    expired one meanwhile: it read the row, and waits for its lock."""
    _expired("fix37b-old")
    pause = Pause(limits._prune)
    monkeypatch.setattr(limits, "_prune", pause)
    outcomes: dict[str, Any] = {}
    pruner = run(_take("fix37b-pruner"), outcomes, "pruner")
    assert pause.held.wait(timeout=30)
    taker = run(_take("fix37b-old"), outcomes, "old")
    waited = wait_for_a_lock_waiter()
    pause.go.set()
    pruner.join(timeout=60)
    taker.join(timeout=60)
    return outcomes, waited


def test_the_taker_waits_for_the_deleting_write(monkeypatch: pytest.MonkeyPatch) -> None:
    _outcomes, waited = _take_while_it_is_deleted(monkeypatch)
    assert waited


def test_a_bucket_deleted_meanwhile_is_made_again_and_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes, _waited = _take_while_it_is_deleted(monkeypatch)
    assert outcomes["old"] is True
