"""A write's audit rows appended at its end (`deferred()`): the chain head locked for its last statements
only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from keel.audit.models import AuditEvent
from keel.audit.services.sealing import _write


def _open_savepoints(db: BaseDatabaseWrapper) -> tuple[str, ...]:
    """The savepoints open on the connection (an atomic block without one adds None: it has nothing of its
    own to roll back to, a failure in it undoes its enclosing block)."""
    return tuple(sid for sid in db.savepoint_ids if sid is not None)


class _Deferred:
    """The audit rows of one `deferred()` block, in the order recorded, waiting for its end."""

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db
        self.savepoints = _open_savepoints(db)
        self.events: list[tuple[AuditEvent, dict[str, Any]]] = []

    def takes(self, event: AuditEvent, fields: dict[str, Any]) -> bool:
        """Queue the event, or (False) leave it to be written now: a row recorded inside a savepoint opened
        within the block (or on another connection) is written at once, inside it, so that rolling the
        savepoint back takes the row with the write it records (a queued row would outlive it). The rows
        queued before it stay queued: they belong outside that savepoint."""
        if self.db is connections[DEFAULT_DB_ALIAS] and _open_savepoints(self.db) == self.savepoints:
            self.events.append((event, fields))
            return True
        return False


_DEFERRED: ContextVar[_Deferred | None] = ContextVar("keel_audit_deferred", default=None)


@contextmanager
def deferred() -> Iterator[None]:
    """A write's transaction (`transaction.atomic()`) whose audit rows are appended at its end, just before
    it commits: in the write's transaction still (SECURITY.md), but the program's chain head, which an
    append locks until the commit, is locked for the last statements only. A write that records an audit
    row before its other statements (a check-in raising a flag: the flag's row, then the key and the
    check-in's own row) would otherwise keep every other audited write of its program waiting meanwhile.

    Rows are recorded (`record`) as usual and returned unsealed: each gets its id, link and seal when the
    block ends without an error, in the order recorded (an error rolls the block back, rows and writes). A
    row recorded inside a savepoint opened within the block is written at once (it may be rolled back
    alone, with its write); a block inside another hands its rows to the outer one."""
    outer = _DEFERRED.get()
    with transaction.atomic():
        queue = _Deferred(connections[DEFAULT_DB_ALIAS])
        token = _DEFERRED.set(queue)
        try:
            yield
        finally:
            _DEFERRED.reset(token)
        if outer is None:
            _write(queue.events)
    if outer is not None:  # the inner block's savepoint released: the outer block's rows now, if it may
        for event, fields in queue.events:
            if not outer.takes(event, fields):
                _write([(event, fields)])
