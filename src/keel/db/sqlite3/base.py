"""Keel's SQLite backend: Django's, with writers queued in the kernel instead of SQLite's sleep-and-retry.

SQLite lets one writer in at a time. A writer that finds the database busy sleeps and retries (1, 2, 5, 10
... 100 ms), so under load a write can lose the race many times and wait for seconds while the file sits idle
between other writers. Here every write transaction first takes an exclusive `flock` on `<database>-writer`
(one open file per connection, so threads and processes queue alike) and holds it until COMMIT or ROLLBACK;
the kernel wakes the next waiter the moment it is released. A write outside a transaction (autocommit) takes
it around its one statement. SQLite's own locking is unchanged underneath: the lock only orders writers that
would wait anyway, so durability, isolation and the busy timeout (for any other program) stay as they were.

The wait for the lock file has no time limit: every Keel write transaction is short, and a process that dies
holding it frees it at once (the kernel drops the lock with the process). A program that is not Keel (the
sqlite3 shell, a backup) does not take the lock file and meets SQLite's busy timeout as before.

An in-memory database lives in one process: its connections (the threads of a test that shares it, Django's
`mode=memory&cache=shared`) queue on a lock of the process instead (`MemoryQueue`). Without it SQLite's
shared cache answers a second writer at once with "database table is locked" (no busy timeout applies),
where a file database's writer waits its turn: a race test on SQLite met an error instead of the wait
(review 23o). It waits at most the database's busy timeout, then lets SQLite answer as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from typing import Any

from django.db.backends.sqlite3 import base


def _writes(sql: str) -> bool:
    """False only for statements that cannot write; anything else (a WITH ... DELETE too) queues."""
    head = sql.lstrip()[:7].upper()
    return not head.startswith(("SELECT", "PRAGMA", "EXPLAIN"))


def _create_owner_only(path: str) -> None:
    """Create the database file readable and writable by its owner only (0600) before SQLite opens it: SQLite
    gives the -wal and -shm files it makes the main file's permissions, so they are owner-only too. The
    directory it is made in (a new one) is owner-only (0700). An existing file is left as it is."""
    if path.startswith("file:"):
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class WriterQueue:
    """An exclusive flock on a file beside the database, held by one connection at a time."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self.held = False

    def acquire(self) -> None:
        if self.held:
            return
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks without the GIL; released if the process dies
        self.held = True

    def release(self) -> None:
        if self.held and self._fd is not None:
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class MemoryQueue(WriterQueue):
    """`WriterQueue` for an in-memory database: a lock of the process per database name, held by one
    connection at a time; a wait longer than `timeout` seconds goes on without it (SQLite then answers)."""

    _locks: dict[str, threading.Lock] = {}
    _guard = threading.Lock()

    def __init__(self, name: str, timeout: float) -> None:
        super().__init__(name)
        with self._guard:
            self._lock = self._locks.setdefault(name, threading.Lock())
        self.timeout = timeout

    def acquire(self) -> None:
        if not self.held:
            self.held = self._lock.acquire(timeout=self.timeout)

    def release(self) -> None:
        if self.held:
            self.held = False
            self._lock.release()

    def close(self) -> None:
        self.release()


class CursorWrapper(base.SQLiteCursorWrapper):
    queue: WriterQueue | None = None

    def execute(self, query: str, params: Any = None) -> Any:
        queue = self.queue
        if queue is None or queue.held or self.connection.in_transaction or not _writes(query):
            return super().execute(query, params)
        queue.acquire()  # a write in autocommit mode: its own one-statement transaction
        try:
            return super().execute(query, params)
        finally:
            queue.release()

    def executemany(self, query: str, param_list: Any) -> Any:
        queue = self.queue
        if queue is None or queue.held or self.connection.in_transaction:
            return super().executemany(query, param_list)
        queue.acquire()
        try:
            return super().executemany(query, param_list)
        finally:
            queue.release()


class DatabaseWrapper(base.DatabaseWrapper):
    writer_queue: WriterQueue | None = None

    def get_new_connection(self, conn_params: Any) -> Any:
        if not self.is_in_memory_db():
            _create_owner_only(str(self.settings_dict["NAME"]))
        connection = super().get_new_connection(conn_params)
        if self.writer_queue is not None:
            self.writer_queue.close()
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() and "cache=shared" in name:  # a private ":memory:" has no other writer
            timeout = float((self.settings_dict.get("OPTIONS") or {}).get("timeout", 5))
            self.writer_queue = MemoryQueue(name, timeout)
        elif self.is_in_memory_db():
            self.writer_queue = None
        else:
            self.writer_queue = WriterQueue(f"{name}-writer")
        return connection

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=CursorWrapper)
        cursor.queue = self.writer_queue
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        queue = self.writer_queue
        if queue is None:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        queue.acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            queue.release()
            raise

    def _end(self, end: Callable[[], None]) -> None:
        """COMMIT or ROLLBACK, then hand the queue on (unless the transaction is somehow still open)."""
        try:
            end()
        finally:
            if self.writer_queue is not None and not self.connection.in_transaction:
                self.writer_queue.release()

    def _commit(self) -> None:
        self._end(super()._commit)  # type: ignore[misc]

    def _rollback(self) -> None:
        self._end(super()._rollback)  # type: ignore[misc]

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            if self.writer_queue is not None:
                self.writer_queue.close()
