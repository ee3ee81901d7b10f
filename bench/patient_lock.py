"""Does the check-in's hand-written patient lock pay? (issue #17: hand-written SQL stays only with a benchmark
side by side with the ORM.) `keel.recovery.services.checkins._lock_patient` sends
`SELECT "id" FROM "patients_patient" WHERE "id" = %s FOR UPDATE` on PostgreSQL (SQLite: nothing, its write
transaction holds the database); the ORM's equivalent is `Patient.objects.select_for_update()
.filter(pk=...).order_by().values_list("id", flat=True)` (the same row, the same lock mode:
tests/recovery/test_checkin_lock_sql.py). Both timed in one process, in one transaction (the figures are
statement building and the round trip, not commits), rounds alternated; microseconds per call (min / median /
max), the 1-minute load average beside them.

    .venv/bin/python bench/patient_lock.py --database-url postgresql://postgres@127.0.0.1:5432/keel_bench \
        [--rounds 5] [--calls 2000]

The database must exist; it is migrated, and the bench's program and person are rolled back.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def _spread(values: list[float]) -> str:
    return "/".join(f"{v:.0f}" for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database (row locks)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000, help="per side and round")
    args = parser.parse_args()
    os.environ["KEEL_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from keel.accounts.models import Program
    from keel.patients.models import Patient
    from keel.recovery.services.checkins import _lock_patient

    if not connection.features.has_select_for_update:
        raise SystemExit("PostgreSQL only: SQLite sends no lock statement")
    call_command("migrate", verbosity=0)
    with transaction.atomic():
        program = Program.objects.create(slug="bench-lock", name="Bench lock")
        person = Patient.objects.create(
            program=program,
            record_number="BL-1",
            given_name="A",
            family_name="B",
            date_of_birth=date(1990, 1, 1),
        )

        def orm() -> None:
            locked = Patient.objects.select_for_update().filter(pk=person.pk).order_by()
            list(locked.values_list("id", flat=True))

        sides: dict[str, Callable[[], None]] = {"hand-written": lambda: _lock_patient(person), "ORM": orm}
        figures: dict[str, list[float]] = {name: [] for name in sides}
        load = [os.getloadavg()[0]]
        for _ in range(args.rounds):
            for name, fn in sides.items():
                figures[name].append(_per_call(fn, args.calls))
        load.append(os.getloadavg()[0])
        transaction.set_rollback(True)
    hand, orm_median = statistics.median(figures["hand-written"]), statistics.median(figures["ORM"])
    print(
        f"The check-in's patient lock, PostgreSQL, {args.rounds} rounds x {args.calls} calls per side, "
        f"load average {load[0]:.1f} before, {load[1]:.1f} after; µs per call min/median/max"
    )
    for name, values in figures.items():
        print(f"{name:<14} {_spread(values):>20}")
    print(f"ORM ÷ hand-written (medians): {orm_median / hand:.2f}")


if __name__ == "__main__":
    main()
