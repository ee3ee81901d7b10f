"""Does Keel's hand-written database code pay? Measured side by side in one run (issue #17).

1. The SQLite writer queue (`keel.db.sqlite3`, writers queued on a `flock`) against Django's stock SQLite
   engine (`django.db.backends.sqlite3`, SQLite's sleep-and-retry busy handler), same pragmas and options:
   `--threads` threads each write `--transactions` audited transactions (the audit append, the write every
   request makes) into one database file. Figures: transactions per second and the slowest transaction.
2. Each hand-written SQL path (`keel.db.rows`) against the ORM statement it replaces, on the same database:
   token sign-in, the patient's own record, the audit row's insert, the idempotency-key lookup, the check-in
   series and the check-in update. Figures: microseconds per call.

Every figure is taken over `--rounds` rounds (min / median / max); the ratio compares medians (> 1: the
hand-written code is faster). Each engine runs in a fresh process on a copy of one migrated database.

    .venv/bin/python bench/engine.py [--rounds 3] [--threads 4] [--transactions 40] [--calls 300]

The defaults finish in well under two minutes on a laptop. `docs/shape.md` holds the figures of a run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = {"queue": "keel.db.sqlite3", "stock": "django.db.backends.sqlite3"}


# --- The child processes ---------------------------------------------------------------------------------


def _setup(engine: str) -> None:
    import django
    from django.conf import settings

    settings.DATABASES["default"]["ENGINE"] = ENGINES[engine]
    django.setup()


def child_migrate() -> dict[str, Any]:
    _setup("queue")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {"ok": True}


def child_writers(engine: str, threads: int, transactions: int) -> dict[str, Any]:
    _setup(engine)
    from django.db import OperationalError, connection, transaction

    from keel.audit import services as audit

    barrier = threading.Barrier(threads + 1)
    slowest: list[float] = []
    failed: list[str] = []

    def work(n: int) -> None:
        connection.ensure_connection()
        barrier.wait()
        worst = 0.0
        for i in range(transactions):
            start = time.perf_counter()
            try:
                with transaction.atomic():
                    audit.record(actor=None, action="read", target_type="bench", target_id=f"{n}-{i}")
                    time.sleep(0.0005)  # a request's own work inside its transaction
            except OperationalError as exc:
                failed.append(str(exc))
            worst = max(worst, time.perf_counter() - start)
        slowest.append(worst)
        connection.close()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    done = threads * transactions - len(failed)
    return {"tx_per_s": done / elapsed, "slowest_ms": max(slowest) * 1000, "failed": len(failed)}


def _per_call(fn: Callable[[], Any], calls: int) -> float:
    fn()  # warm caches (statement cache, converters) as a running server has them
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def child_paths(rounds: int, calls: int) -> dict[str, Any]:
    _setup("queue")
    from datetime import date, timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from keel.accounts import services as accounts
    from keel.accounts.models import ApiToken, Program, User
    from keel.audit.models import AuditEvent
    from keel.db import rows
    from keel.patients.models import Patient
    from keel.recovery.models import CheckIn, IdempotencyKey

    program = Program.objects.create(slug="bench", name="Bench")
    user, _ = accounts.create_user(
        username="bench-patient", role="patient", password="a-long-pass-phrase-1", program_slug="bench"
    )
    patient = Patient.objects.create(
        program=program,
        user=user,
        record_number="B-1",
        given_name="A",
        family_name="B",
        date_of_birth=date(1990, 1, 1),
    )
    digest = accounts._digest(accounts.create_token(user=user, name="bench").secret)
    today = date(2026, 3, 8)
    for d in range(14):
        CheckIn.objects.create(
            patient=patient,
            local_date=today - timedelta(days=d),
            craving=3,
            mood=3,
            used=False,
            medication="taken",
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
    IdempotencyKey.objects.create(
        user=user,
        key="k",
        scope="checkin",
        fingerprint="f",
        status_code=201,
        response=b"x",
        created_at=timezone.now(),
    )
    now_db = connection.ops.adapt_datetimefield_value(timezone.now())
    row = CheckIn.objects.filter(patient=patient).first()
    assert row is not None
    date_lo = connection.ops.adapt_datefield_value(today - timedelta(days=14))
    date_hi = connection.ops.adapt_datefield_value(today)
    event = {
        "occurred_at": timezone.now(),
        "action": "read",
        "target_type": "bench",
        "target_id": "1",
        "outcome": "success",
        "reason": "",
        "detail": {},
        "channel": "api",
        "prev_hash": "0" * 64,
        "key_id": "k",
    }
    serial = itertools.count()

    def audit_row() -> AuditEvent:
        return AuditEvent(**event, hash=f"{next(serial):064d}")  # the hash is unique

    paths: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "token sign-in (accounts.services.user_for_token)": (
            lambda: rows.fetch(
                'FROM "accounts_apitoken" t JOIN "accounts_user" u ON u."id" = t."user_id" '
                'WHERE t."digest" = %s AND t."revoked_at" IS NULL AND t."expires_at" > %s',
                [digest, now_db],
                (ApiToken, "t"),
                (User, "u"),
            ),
            lambda: list(
                ApiToken.objects.select_related("user").filter(
                    digest=digest, revoked_at__isnull=True, expires_at__gt=timezone.now()
                )
            ),
        ),
        "own record (access.policy.own_patient_or_404)": (
            lambda: rows.fetch(
                'FROM "patients_patient" p JOIN "accounts_program" g ON g."id" = p."program_id" '
                'WHERE p."user_id" = %s ORDER BY p."id" LIMIT 1',
                [user.pk],
                (Patient, "p"),
                (Program, "g"),
            ),
            lambda: Patient.objects.select_related("program").filter(user_id=user.pk).order_by("id").first(),
        ),
        "audit row insert (audit.services.record)": (
            lambda: rows.insert(audit_row()),
            lambda: audit_row().save(force_insert=True),
        ),
        "idempotency key (recovery check-in)": (
            lambda: rows.fetch_one(
                'FROM "recovery_idempotencykey" k WHERE k."user_id" = %s AND k."key" = %s',
                [user.pk, "k"],
                IdempotencyKey,
                "k",
            ),
            lambda: IdempotencyKey.objects.filter(user_id=user.pk, key="k").first(),
        ),
        "check-in series (recovery.queries._series)": (
            lambda: rows.fetch(
                'FROM "recovery_checkin" c WHERE c."patient_id" = %s '
                'AND c."local_date" > %s AND c."local_date" <= %s ORDER BY c."local_date"',
                [patient.pk, date_lo, date_hi],
                (CheckIn, "c"),
            ),
            lambda: list(
                CheckIn.objects.filter(
                    patient_id=patient.pk, local_date__gt=today - timedelta(days=14), local_date__lte=today
                ).order_by("local_date")
            ),
        ),
        "check-in update (recovery check-in edit)": (
            lambda: rows.update(row, ("craving", "mood", "updated_at")),
            lambda: row.save(update_fields=["craving", "mood", "updated_at"]),
        ),
    }
    out: dict[str, Any] = {}
    with transaction.atomic():  # one transaction: the figures are statement building, not fsync
        for name, (hand, orm) in paths.items():
            figures: dict[str, list[float]] = {"hand": [], "orm": []}
            for _ in range(rounds):  # alternate, so drift on a busy machine hits both alike
                figures["hand"].append(_per_call(hand, calls))
                figures["orm"].append(_per_call(orm, calls))
            out[name] = figures
        transaction.set_rollback(True)
    return out


# --- The parent: runs the children and prints the table ---------------------------------------------------


def _child(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env(data: Path, db: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="keel.settings",
        KEEL_DATA_DIR=str(data),
        KEEL_DATABASE_URL=f"sqlite:///{db}",
    )


def _spread(values: list[float], fmt: str) -> str:
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=40, help="per thread and round")
    parser.add_argument("--calls", type=int, default=300, help="per path and round")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        if kind == "migrate":
            result = child_migrate()
        elif kind == "writers":
            result = child_writers(rest[0], int(rest[1]), int(rest[2]))
        else:
            result = child_paths(int(rest[0]), int(rest[1]))
        print(json.dumps(result))
        return
    rounds = max(3, args.rounds)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        template = data / "template.sqlite3"
        _child(_env(data, template), "migrate")

        def fresh(name: str) -> Path:
            db = data / f"{name}.sqlite3"
            for suffix in ("", "-wal", "-shm", "-writer"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copy(template, db)
            return db

        writers: dict[str, list[dict[str, Any]]] = {"queue": [], "stock": []}
        for _ in range(rounds):
            for engine in writers:
                db = fresh(engine)
                writers[engine].append(
                    _child(_env(data, db), "writers", engine, str(args.threads), str(args.transactions))
                )
        paths = _child(_env(data, fresh("paths")), "paths", str(rounds), str(args.calls))

    print(f"Keel engine bench: {rounds} rounds; min/median/max; ratio = stock (or ORM) median / Keel median")
    print(
        f"\n1. Writers: {args.threads} threads x {args.transactions} audited transactions per round, "
        "one SQLite file"
    )
    print(f"{'engine':<44} {'tx/s':>20} {'slowest tx ms':>20} {'failed':>7}")
    for engine, runs in writers.items():
        label = f"{engine} ({ENGINES[engine]})"
        tx = _spread([r["tx_per_s"] for r in runs], ".0f")
        slow = _spread([r["slowest_ms"] for r in runs], ".0f")
        print(f"{label:<44} {tx:>20} {slow:>20} {sum(r['failed'] for r in runs):>7}")
    q = statistics.median(r["tx_per_s"] for r in writers["queue"])
    s = statistics.median(r["tx_per_s"] for r in writers["stock"])
    print(f"throughput ratio queue/stock: {q / s:.2f}")
    print(f"\n2. Hand-written SQL (keel.db.rows) vs the ORM, µs per call, {args.calls} calls per round")
    print(f"{'path':<52} {'hand':>17} {'ORM':>17} {'ratio':>6}")
    for name, figures in paths.items():
        ratio = statistics.median(figures["orm"]) / statistics.median(figures["hand"])
        hand, orm = _spread(figures["hand"], ".0f"), _spread(figures["orm"], ".0f")
        print(f"{name:<52} {hand:>17} {orm:>17} {ratio:>6.2f}")
    print(f"\n(ran in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
