"""Keel's SQLite backend queues writers on a lock file (keel.db.sqlite3): writers wait their turn in the
kernel instead of SQLite's sleep-and-retry, across threads and processes, and a dead holder frees the
queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from keel.db.sqlite3.base import WriterQueue, _writes
from tests.own_databases import run_script

pytestmark = pytest.mark.skipif(
    "KEEL_DATABASE_URL" in os.environ, reason="the SQLite backend's own tests: they run in the SQLite pass"
)


def test_reads_and_writes_are_told_apart() -> None:
    for sql in ("SELECT 1", "  select * from x", "PRAGMA foreign_keys", "EXPLAIN QUERY PLAN SELECT 1"):
        assert not _writes(sql)
    for sql in ("INSERT INTO x VALUES (1)", "update x set a = 1", "DELETE FROM x", "CREATE TABLE y (a)"):
        assert _writes(sql)
    assert _writes("WITH t AS (SELECT 1) DELETE FROM x")  # may write: queued to be safe


def test_a_second_writer_waits_until_the_first_releases(tmp_path: Path) -> None:
    first, second = WriterQueue(str(tmp_path / "db-writer")), WriterQueue(str(tmp_path / "db-writer"))
    first.acquire()
    got = threading.Event()

    def wait_for_turn() -> None:
        second.acquire()
        got.set()

    waiter = threading.Thread(target=wait_for_turn)
    waiter.start()
    assert not got.wait(0.2)  # still queued behind the first
    first.release()
    assert got.wait(5)
    waiter.join()
    second.close()
    first.close()


def test_acquire_and_release_are_idempotent(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "db-writer"))
    queue.acquire()
    queue.acquire()
    assert queue.held
    queue.release()
    queue.release()
    assert not queue.held
    other = WriterQueue(str(tmp_path / "db-writer"))
    other.acquire()  # free again: would block forever if the double acquire had stacked
    other.close()
    queue.close()


def test_a_holder_that_dies_frees_the_queue(tmp_path: Path) -> None:
    path = str(tmp_path / "db-writer")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from keel.db.sqlite3.base import WriterQueue\n"
            f"q = WriterQueue({path!r}); q.acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, DJANGO_SETTINGS_MODULE="keel.settings"),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        queue = WriterQueue(path)
        got = threading.Event()
        waiter = threading.Thread(target=lambda: (queue.acquire(), got.set()))
        waiter.start()
        assert not got.wait(0.2)
        holder.send_signal(signal.SIGKILL)
        assert got.wait(5)
        waiter.join()
        queue.close()
    finally:
        holder.kill()
        holder.wait()


def _writers(tmp_path: Path, mode: str) -> dict[str, Any]:
    env = dict(
        os.environ,
        KEEL_DATA_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="keel.settings",
        KEEL_DATABASE_URL=f"sqlite:///{tmp_path}/writers.sqlite3",
    )
    return run_script(env, Path(__file__).with_name("writers.py"), mode)


def test_concurrent_writers_all_get_in_and_the_chain_holds(tmp_path: Path) -> None:
    seen = _writers(tmp_path, "queue")
    assert seen["locked"] == 0, seen["messages"]
    assert seen["written"] == seen["expected"]
    assert seen["chain_ok"]
    assert seen["name"] == "Writers 14"  # every autocommit write got in, in order


def test_without_the_queue_sqlite_refuses_some_writers(tmp_path: Path) -> None:
    """The control: the same load with the queue switched off meets "database is locked", so the test above
    really measures the queue."""
    seen = _writers(tmp_path, "no-queue")
    assert seen["locked"] > 0
    assert all("locked" in m for m in seen["messages"])
