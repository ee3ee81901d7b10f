"""For a race test on PostgreSQL (real threads, each with its own connection): pause one thread inside its
transaction, after it took a lock, until the other thread is seen waiting for a lock (`pg_stat_activity`),
then let it commit. The test then knows the two were serialised by that lock, not by luck of timing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection


def lock_waiters() -> int:
    """How many other sessions of this database wait for a lock now (read on the caller's connection)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def wait_for_a_lock_waiter(timeout: float = 10.0) -> bool:
    """True as soon as another session waits for a lock; False after `timeout` seconds without one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock_waiters():
            return True
        time.sleep(0.02)
    return False


class Pause:
    """Wraps a function so that its first caller, once the function returned (its lock taken, inside the
    caller's transaction), signals `held` and waits for `go`. Later callers pass straight through."""

    def __init__(self, original: Callable[..., Any]) -> None:
        self.original = original
        self.held = threading.Event()
        self.go = threading.Event()
        self._first = threading.Lock()
        self._taken = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._first:
            first, self._taken = not self._taken, True
        out = self.original(*args, **kwargs)
        if first:
            self.held.set()
            self.go.wait(timeout=30)
        return out


def run(work: Callable[[], Any], outcomes: dict[str, Any], name: str) -> threading.Thread:
    """Start `work` in a thread of its own; its result (or the exception it raised) lands in
    `outcomes[name]`; its connection is closed at the end."""
    from django.db import connections

    def body() -> None:
        try:
            outcomes[name] = work()
        except Exception as exc:  # the test reads it
            outcomes[name] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=body, name=name)
    thread.start()
    return thread


# A race test module's marks (`pytestmark = RACE_ON_POSTGRESQL`): real transactions and threads, on PostgreSQL
# only (SQLite's IMMEDIATE transactions serialise writers: there is no race to see).
RACE_ON_POSTGRESQL = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "not __import__('django.db', fromlist=['connection']).connection.vendor == 'postgresql'",
        reason="two connections at once: PostgreSQL (SQLite's IMMEDIATE transactions serialise writers)",
    ),
]
