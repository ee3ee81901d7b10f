"""Run by test_writer_queue in a fresh process against a SQLite file with SQLite's own busy wait turned
off: six threads write audited transactions (each holds its transaction a moment) and one writes in
autocommit mode, all at once. With Keel's writer queue every write gets in; without it (`no-queue`, the
control) SQLite refuses some with "database is locked". Prints what it saw as JSON."""

from __future__ import annotations

import json
import sys
import threading
import time


def main() -> None:
    import django
    from django.conf import settings

    settings.DATABASES["default"]["OPTIONS"]["timeout"] = (
        0  # no sleep-and-retry: a busy database fails at once
    )
    django.setup()
    from django.core.management import call_command
    from django.db import OperationalError, connection, transaction

    from keel.accounts.models import Program
    from keel.audit import services as audit
    from keel.audit.models import AuditEvent
    from keel.db.sqlite3 import base

    if sys.argv[1] == "no-queue":
        base.WriterQueue.acquire = lambda self: None  # type: ignore[method-assign]
    call_command("migrate", verbosity=0)
    program = Program.objects.create(slug="writers", name="Writers")
    before = AuditEvent.objects.count()
    # This thread's connection stays open until the end. When the last connection to a SQLite file closes, the
    # next one to open rebuilds the WAL index, and with the busy wait off a connection opening alongside it
    # would fail with SQLITE_BUSY_RECOVERY: a wait at connect time (the 20 s busy timeout covers it in
    # service), not a writer waiting its turn, which is what this measures. For the same reason each thread
    # connects before the start line.
    threads, rounds = 6, 15
    locked: list[str] = []
    barrier = threading.Barrier(threads + 1)

    def transactions(n: int) -> None:
        connection.ensure_connection()
        barrier.wait()
        for i in range(rounds):
            try:
                with transaction.atomic():
                    audit.record(actor=None, action="read", target_type="writer", target_id=f"{n}-{i}")
                    time.sleep(0.002)  # hold the write lock while the others arrive
            except OperationalError as exc:
                locked.append(str(exc))
        connection.close()

    def autocommit() -> None:
        connection.ensure_connection()
        barrier.wait()
        for i in range(rounds):
            try:
                Program.objects.filter(pk=program.pk).update(name=f"Writers {i}")
            except OperationalError as exc:
                locked.append(str(exc))
            time.sleep(0.001)
        connection.close()

    workers = [threading.Thread(target=transactions, args=(n,)) for n in range(threads)]
    workers.append(threading.Thread(target=autocommit))
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(
        json.dumps(
            {
                "locked": len(locked),
                "messages": sorted(set(locked)),
                "written": AuditEvent.objects.count() - before,
                "expected": threads * rounds,
                "chain_ok": audit.verify_chain().ok,
                "name": Program.objects.get(pk=program.pk).name,
            }
        )
    )


if __name__ == "__main__":
    main()
