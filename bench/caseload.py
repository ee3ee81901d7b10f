"""The caseload's first page at scale on PostgreSQL (issue #21): one program admin, N people, each with
60 days of observed methadone doses (about 7% of days missed, some stopping early), a voided dose now and
then, take-home bottles for some, open flags and check-ins; all generated in SQL (generate_series), so
100,000 people build in minutes. Then the first page (`keel.careteam.queries.caseload` and the page's
paginator cut, as `keel.web.views.patient_list` does it; no template) timed for the new caseload (top-k:
only the people who may have a signal ranked for the first pages) and, when `--old-ref` names a commit, the
old one (the module as it was there, loaded from git: it calls today's other modules, so an old ref breaks
as their signatures move; 9a90b50, the default until session 39, no longer loads), side by side, over
several rounds (min, median, max; the 1-minute load average beside each figure, the machine may be shared);
the two first pages must be equal; the sizes grow in place (1k, then 10k, then 100k).

    .venv/bin/python bench/caseload.py --database-url postgresql://postgres@127.0.0.1:5432/keel_bench \
        [--sizes 1000,10000,100000] [--rounds 3] [--old-ref REF] [--profile 10000] [--last-page] [--memory]

`--old-ref 74207a9` times the caseload before issue #21 (a prefetch per signal and a `dose_contexts`
DoseRecord per dose); `--old-ref eabf601` the set-based caseload that still made a Patient and said every
row's reasons (before the ranking pass on plain values and the rows made per page); `--profile N` prints
where the new read's time goes at N people; `--last-page` times the old and new reads' last pages too (a
page past the people with a signal: `--old-ref 8be5577` ranks everyone for it, the new read ranks the head
and reads the others lightly; `--old-ref c5b79f9` that, the new read counts the signalled people and orders
the others from one light statement) and checks that they are equal; `--memory` calls each read once more
under tracemalloc and prints its peak of Python memory.

The database must exist and is migrated; its bench rows are added to whatever it holds (use a fresh one).
`--reuse` times the people a previous run built in it (100,000 take minutes to build): each size at least as
many as it holds, grown in place when more; the data is the same as a fresh build's (built on the day it was
built: the doses end the day before the build).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import population
from bench.directory import _setup

HISTORY_DAYS = 60


def _grow(program_id: int, admin_id: int, start: int, stop: int, today: date) -> None:
    """People start+1 .. stop and their records, in SQL (`bench.population`)."""
    from django.db import connection

    t = population.day(today)
    with connection.cursor() as c:
        lo = population.add_people(c, program_id, start, stop, born="DATE '1980-01-01' + (i % 9000)")
        population.add_care_team(c, admin_id, lo)
        population.add_enrollments(c, program_id, lo, started=f"{t} - 61 - (id % 200)::int")
        population.add_orders(c, admin_id, lo, medication="methadone", starts=f"{t} - 61")
        # 60 days of doses; about 7% of days missed; one person in five stops 1-15 days before today.
        population.add_doses(
            c,
            admin_id,
            lo,
            medication="methadone",
            first=f"{t} - {HISTORY_DAYS}",
            last=f"{t} - (1 + CASE WHEN p % 5 = 0 THEN 1 + p % 15 ELSE 0 END)::int",
            keep=f"abs(hashtext(p::text || ':' || ({t} - d)::text)) % 100 >= 7",
        )
        # one person in 20: the oldest dose voided (what the generator always did: it said "newest", but it
        # voided the largest id, and the days were inserted newest first)
        population.void_one_dose(c, admin_id, lo, where="r.patient_id % 20 = 3", newest=False)
        # take-home bottles for the last 3 days for one person in 10
        population.add_take_home(c, admin_id, lo, first=f"{t} - 3", days=3, where="e.patient_id % 10 = 7")
        c.execute(  # an open flag for one person in 20
            f"""INSERT INTO patients_patientflag (kind, priority, reasons, sources, source_type, source_id,
                raised_at, resolution_note, patient_id, said)
            SELECT 'missed_doses', 2, '["missed doses"]'::jsonb, '[]'::jsonb, 'dose', id, now(), '', id,
                '[]'::jsonb
            FROM patients_patient WHERE id > {lo} AND id % 20 = 11"""
        )
        c.execute(  # check-ins on some days for half the people
            f"""INSERT INTO recovery_checkin (local_date, craving, mood, used, used_what, used_how,
                medication, meeting, counseling, triggers, sleep, created_at, updated_at, version, patient_id)
            SELECT {t} - d, 3, 3, false, '[]'::jsonb, '[]'::jsonb, '', false, false, '[]'::jsonb, '',
                now(), now(), 1, p.id
            FROM patients_patient p CROSS JOIN generate_series(1, 30, 4) AS d
            WHERE p.id > {lo} AND p.id % 2 = 0"""
        )
        c.execute("VACUUM ANALYZE")  # as autovacuum would have by then: index-only reads see the new rows


def _old_caseload(ref: str) -> Callable[..., Any]:
    """`caseload` as it was at `ref`, loaded from git against today's other modules: the module
    `careteam/queries.py` before issue #17's split, else the package `careteam/queries/` (its files copied
    under another name, their imports of each other renamed with them)."""
    import importlib
    import subprocess
    import tempfile
    import types

    root = Path(__file__).resolve().parent.parent
    name = "bench_old_careteam_queries"

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=root, check=True, capture_output=True
        ).stdout.decode()

    package = "src/keel/careteam/queries"
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, f"{package}/"], cwd=root, capture_output=True
    )
    files = [Path(line).name for line in listed.stdout.decode().split() if line.endswith(".py")]
    if not files:  # one module
        module = types.ModuleType(name)
        sys.modules[module.__name__] = module  # dataclasses look their module up
        exec(compile(show(f"{package}.py"), f"{ref}:{package}.py", "exec"), module.__dict__)
        return module.caseload  # type: ignore[no-any-return]
    folder = Path(tempfile.mkdtemp(prefix="bench-caseload-")) / name
    folder.mkdir()
    for file in files:
        (folder / file).write_text(show(f"{package}/{file}").replace("keel.careteam.queries.", f"{name}."))
    sys.path.insert(0, str(folder.parent))
    return importlib.import_module(name).caseload  # type: ignore[no-any-return]


def _first_page(caseload: Callable[..., Any], admin: Any, number: int | str = 1) -> Any:
    from django.core.paginator import Paginator

    from keel.web.views import CASELOAD_PAGE_SIZE

    rows = caseload(admin)
    pages = Paginator(rows, CASELOAD_PAGE_SIZE)
    if number == "middle":
        number = (pages.num_pages + 1) // 2
    return list(pages.get_page(pages.num_pages if number == "last" else number))


def _time(call: Callable[[], Any], rounds: int) -> tuple[list[float], list[float], int, Any, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, statements, out = [], 0, None
    cpu, load = [], []
    for _ in range(rounds):
        load.append(os.getloadavg()[0])
        with CaptureQueriesContext(connection) as ctx:
            t0, c0 = time.perf_counter(), time.process_time()
            out = call()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        statements = len(ctx.captured_queries)
    return times, cpu, statements, out, load


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--old-ref",
        default="",
        help="the commit whose caseload is 'old' (none by default: an old module calls today's helpers, "
        "which move; 9a90b50 ran until session 38)",
    )
    parser.add_argument("--skip-old-above", type=int, default=10**9, help="time only the new read above N")
    parser.add_argument("--profile", type=int, default=0, help="cProfile the new read at this size")
    parser.add_argument(
        "--last-page", action="store_true", help="time the new read's last page too (past the head: everyone)"
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="one more call of each read under tracemalloc: its peak of Python memory (slower, not timed)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the people a previous run built in this database (sizes at least as many as it holds)",
    )
    args = parser.parse_args()
    _setup(args.database_url)
    from django.db import connection
    from django.utils import timezone

    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.careteam import queries as careteam

    assert connection.vendor == "postgresql", "the data is generated with PostgreSQL's generate_series"
    from keel.accounts.models import User
    from keel.patients.models import Patient

    built = 0
    if args.reuse and Program.objects.filter(slug="bench-caseload").exists():
        program = Program.objects.get(slug="bench-caseload")
        admin = User.objects.get(username="bench.caseload.admin")
        built = Patient.objects.filter(program=program).count()
        print(f"reusing {built} people", flush=True)
    else:
        program = Program.objects.create(slug="bench-caseload", name="Bench Caseload")
        admin, _ = accounts.create_user(
            username="bench.caseload.admin",
            role="program_admin",
            password="x" * 16,
            program_slug="bench-caseload",
        )
    readers: dict[str, tuple[Callable[..., Any], int | str]] = {"new": (careteam.caseload, 1)}
    if args.last_page:
        readers["new, middle page"] = (careteam.caseload, "middle")
        readers["new, last page"] = (careteam.caseload, "last")
    if args.old_ref:
        old_caseload = _old_caseload(args.old_ref)
        readers["old"] = (old_caseload, 1)
        if args.last_page:
            readers["old, middle page"] = (old_caseload, "middle")
            readers["old, last page"] = (old_caseload, "last")
    table = []
    for size in [int(s) for s in args.sizes.split(",")]:
        assert size >= built, f"the database holds {built} people, more than {size}"
        if size > built:
            t0 = time.perf_counter()
            _grow(program.pk, admin.pk, built, size, timezone.localdate())
            built = size
            print(f"built {size} people in {time.perf_counter() - t0:.0f} s", flush=True)
        results = {}
        for name, (reader, number) in readers.items():
            if name.startswith("old") and size > args.skip_old_above:
                continue
            call = functools.partial(_first_page, reader, admin, number)
            _time(call, 1)  # warm
            times, cpu, statements, page, load = _time(call, args.rounds)
            results[name] = (times, cpu, statements, [asdict(r) for r in page], load)
            peak = ""
            if args.memory:
                tracemalloc.start()
                call()
                peak = f", peak Python memory {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MiB"
                tracemalloc.stop()
            print(
                f"  {name}: median {statistics.median(times) * 1000:.0f} ms "
                f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), {statements} statements, "
                f"this process's CPU median {statistics.median(cpu) * 1000:.0f} ms, "
                f"load average {min(load):.2f}-{max(load):.2f}{peak}",
                flush=True,
            )
        if size == args.profile:
            profile = cProfile.Profile()
            profile.runcall(_first_page, careteam.caseload, admin)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
            if args.last_page:
                profile = cProfile.Profile()
                profile.runcall(_first_page, careteam.caseload, admin, "last")
                pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        if "old" in results:
            assert results["old"][3] == results["new"][3], "old and new first pages differ"
            for page in ("middle", "last"):
                if f"old, {page} page" in results:
                    assert results[f"old, {page} page"][3] == results[f"new, {page} page"][3], (
                        f"{page} pages differ"
                    )
        table.append((size, results))
    print(
        "\n| people | read | min ms | median ms | max ms | CPU ms (median, this process) | statements "
        "| load average (1 min) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size, results in table:
        for name, (times, cpu, statements, _, load) in results.items():
            print(
                f"| {size:,} | {name} | {min(times) * 1000:.0f} | {statistics.median(times) * 1000:.0f} "
                f"| {max(times) * 1000:.0f} | {statistics.median(cpu) * 1000:.0f} | {statements} "
                f"| {min(load):.2f}-{max(load):.2f} |"
            )


if __name__ == "__main__":
    main()
