"""The director's measures at scale.

ORM mode (SQLite by default): one program with N people, each with up to a year of observed daily doses
(about 300,000 dose rows for 1,000 people), DSM-5 results, enrollments and naloxone kits, built through the
ORM; then the time of `keel.measures.queries.report` (six set-based queries + the core) and of the caseload
for one nurse on all of them, in-process against a fresh database.

    .venv/bin/python bench/measures.py [--people 1000] [--runs 5]
    .venv/bin/python bench/measures.py --database-url postgresql://postgres@127.0.0.1:5432/keel_bench

Sizes mode (PostgreSQL, issue #21): one database grown in SQL (`bench.population`, generate_series) to
each size in turn (1k, then 10k, then 100k people: observed methadone doses over up to 500 days with missed
and held days, a long break for some, take-home bottles, voided doses, buprenorphine pharmacy fills with a
voided fill now and then, XR-naltrexone injections, people who never started and people still waiting,
DSM-5 results that change, naloxone kits, a few people under 18), then `report` timed over several
rounds, each in a fresh process (wall, this process's CPU, the time spent in the database's statements,
and the peak RSS growth from `ru_maxrss`), plus one more fresh process under tracemalloc for the peak of
Python's own allocations; the report's headline values printed so every measure is seen to be non-trivial.

    .venv/bin/python bench/measures.py --database-url postgresql://postgres@127.0.0.1:5432/meas_bench \
        --sizes 1000,10000,100000 [--rounds 3] [--profile 10000,100000]

The database must exist; it is migrated and its bench rows are added to whatever it holds (use a fresh one).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from bench.directory import _setup


def _setup_existing(database_url: str) -> None:
    """Django on the bench's database as it is (a fresh process for one report: no migrate)."""
    import tempfile

    if "KEEL_DATA_DIR" not in os.environ:  # the parent's, inherited
        os.environ["KEEL_DATA_DIR"] = tempfile.mkdtemp(prefix="keel-bench-measures-")
    os.environ.pop("KEEL_TESTING", None)
    os.environ["KEEL_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
    import django

    django.setup()


def _build(people: int, seed: int) -> tuple[object, object]:
    from django.utils import timezone

    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.assessments.models import Assessment
    from keel.patients.models import CareTeamMember, Enrollment, Patient
    from keel.treatment.models import DoseRecord, MedicationOrder, NaloxoneKit

    rng = random.Random(seed)
    program = Program.objects.create(slug="bench", name="Bench Program")
    admin, _ = accounts.create_user(
        username="bench.admin", role="program_admin", password="x" * 16, program_slug="bench"
    )
    nurse, _ = accounts.create_user(
        username="bench.nurse", role="nurse", password="x" * 16, program_slug="bench"
    )
    today, now = timezone.localdate(), timezone.now()
    patients = Patient.objects.bulk_create(
        Patient(
            program=program,
            record_number=f"B-{i:06d}",
            given_name="Bench",
            family_name=f"Person{i}",
            date_of_birth=today - timedelta(days=rng.randint(17 * 365, 70 * 365)),
        )
        for i in range(people)
    )
    CareTeamMember.objects.bulk_create(CareTeamMember(patient=p, user=nurse) for p in patients)
    starts = {p.pk: today - timedelta(days=rng.randint(1, 400)) for p in patients}
    Enrollment.objects.bulk_create(
        Enrollment(patient=p, program=program, started_on=starts[p.pk]) for p in patients
    )
    orders = MedicationOrder.objects.bulk_create(
        MedicationOrder(
            patient=p,
            medication="methadone",
            rxnorm="6813",
            dose_mg=Decimal(60),
            starts_on=starts[p.pk],
            prescriber=nurse,
            created_at=now,
        )
        for p in patients
    )
    doses = []
    for order in orders:
        day, stop = starts[order.patient_id] + timedelta(days=rng.randint(0, 7)), today - timedelta(days=1)
        quit_at = day + timedelta(days=rng.randint(10, 500))
        while day <= min(stop, quit_at):
            if rng.random() > 0.05:
                doses.append(
                    DoseRecord(
                        patient_id=order.patient_id,
                        order=order,
                        medication="methadone",
                        local_date=day,
                        sequence=1,
                        status="given",
                        amount_mg=Decimal(60),
                        treatment_day=1,
                        decision={},
                        recorded_by=nurse,
                        recorded_at=now,
                    )
                )
            day += timedelta(days=1)
    DoseRecord.objects.bulk_create(doses, batch_size=5000)
    Assessment.objects.bulk_create(
        Assessment(
            patient=p,
            program=program,
            instrument="dsm5-oud",
            instrument_version="1",
            answers={},
            total=6,
            band="severe",
            result={},
            filled_by=nurse,
            filled_at=now,
        )
        for p in patients
        if rng.random() < 0.9
    )
    NaloxoneKit.objects.bulk_create(
        NaloxoneKit(
            patient=p, product="nasal_4mg", dispensed_on=starts[p.pk], dispensed_by=nurse, recorded_at=now
        )
        for p in patients
        if rng.random() < 0.6
    )
    print(f"built {people} people, {len(doses)} doses", flush=True)
    return admin, nurse


SLUG = "bench-measures"


def _grow(program_id: int, admin_id: int, start: int, stop: int, today: date) -> None:
    """People start+1 .. stop and every record the measures read, in SQL (`bench.population`)."""
    from django.db import connection

    from bench import population as pop

    t = pop.day(today)
    h = pop.hashed
    with connection.cursor() as c:
        # born 17 to 67 years ago: about 2% are under 18 when they start
        lo = pop.add_people(c, program_id, start, stop, born=f"{t} - 6205 - {h('age', 18250, 'i')}")
        # Each person's shape: an arm, an admission (up to 420 days ago; the waiting arm in the last 12
        # days), a first covered day, the last covered day, and the day care ended (three weeks after
        # the last dose, when that has come; never-started people leave 3-20 days after admission).
        c.execute("DROP TABLE IF EXISTS bench_shape")
        c.execute(
            f"""CREATE TEMP TABLE bench_shape AS
            SELECT id, arm, s, f, n, ends,
                CASE WHEN arm >= 94 THEN NULL
                     WHEN arm >= 87 THEN CASE WHEN s + 3 + n < {t} THEN s + 3 + n END
                     WHEN ends + 21 < {t} THEN ends + 21 END AS left_on
            FROM (
                SELECT id, arm, s, f, n,
                    CASE WHEN arm < 65 THEN LEAST({t} - 1, f + 6 + n)
                         WHEN arm < 80 THEN LEAST({t} - 1, f + 28 * (1 + n % 14) + 9)
                         WHEN arm < 87 THEN LEAST({t} - 1, f + 28 * (1 + n % 10) - 1) END AS ends
                FROM (
                    SELECT id, arm, s, s + {h("delay", 8)} AS f, {h("len", 500)} AS n
                    FROM (
                        SELECT id, {h("arm", 100)} AS arm,
                            CASE WHEN {h("arm", 100)} >= 94 THEN {t} - 1 - {h("start", 12)}
                                 ELSE {t} - 1 - {h("start", 420)} END AS s
                        FROM patients_patient WHERE id > {lo}
                    ) AS a
                ) AS b
            ) AS x"""
        )
        c.execute("CREATE INDEX ON bench_shape (id)")
        pop.add_enrollments(c, program_id, lo, started="s", ended="left_on", source="bench_shape")
        for medication, arms in (
            ("methadone", "arm < 65"),
            ("buprenorphine", "arm >= 65 AND arm < 80"),
            ("naltrexone_xr", "arm >= 80 AND arm < 87"),
        ):
            pop.add_orders(
                c,
                admin_id,
                lo,
                medication=medication,
                starts=f"{t} - 430",
                where=f"id IN (SELECT id FROM bench_shape WHERE {arms})",
            )
        daily = "abs(hashtext(p::text || ':' || d::text)) % 100"
        pop.add_doses(  # about 4% of days missed, 1% held; one in 8 breaks for 12 days after day 40
            c,
            admin_id,
            lo,
            medication="methadone",
            first="source.f",
            last="source.ends",
            keep=f"{daily} >= 4 AND NOT (p % 8 = 1 AND k BETWEEN 40 AND 51)"
            " AND NOT (p % 10 = 7 AND k BETWEEN 30 AND 35)",  # the take-home days: bottles, no visit
            status=f"CASE WHEN {daily} = 4 THEN 'held' ELSE 'given' END",
            source="bench_shape",
        )
        pop.add_take_home(
            c,
            admin_id,
            lo,
            first="source.f + 30",
            days=6,
            where="source.arm < 65 AND source.ends >= source.f + 40 AND e.patient_id % 10 = 7",
            source="bench_shape",
        )
        pop.void_one_dose(c, admin_id, lo, where="r.patient_id % 20 = 3", newest=True)
        pop.add_doses(  # an injection every 28 days
            c,
            admin_id,
            lo,
            medication="naltrexone_xr",
            first="source.f",
            last="source.ends",
            every=28,
            source="bench_shape",
        )
        pop.add_fills(  # every 28 days; one in four a 10-day gap after the third fill
            c,
            admin_id,
            lo,
            count="1 + source.n % 14",
            on="source.f + 28 * k + CASE WHEN p % 4 = 0 AND k >= 3 THEN 10 ELSE 0 END",
            days_supply=28,
            today=today,
            source="bench_shape",
        )
        pop.void_first_fill(c, admin_id, lo, where="patient_id % 25 = 1")
        dx = h("dx", 100)
        pop.add_assessments(  # 70% severe, 10% moderate, 5% mild in early remission, 5% no OUD, 10% none
            c,
            program_id,
            admin_id,
            lo,
            band=f"CASE WHEN {dx} < 70 THEN 'severe' WHEN {dx} < 80 THEN 'moderate' "
            f"WHEN {dx} < 85 THEN 'mild_early_remission' ELSE 'none' END",
            filled_on="source.s",
            where=f"{dx} < 90",
            source="bench_shape",
        )
        pop.add_assessments(  # a later result for one in five: early remission, or (one in 10) no OUD
            c,
            program_id,
            admin_id,
            lo,
            band=f"CASE WHEN {h('dx2', 10)} = 0 THEN 'none' ELSE 'severe_early_remission' END",
            filled_on="source.s + 120",
            where=f"{dx} < 90 AND source.id % 5 = 2 AND source.s + 120 < {t}",
            source="bench_shape",
        )
        pop.add_naloxone(  # 60% within 90 days of admission
            c,
            admin_id,
            lo,
            on=f"source.s + {h('kit', 90)}",
            where=f"{h('kit?', 100)} < 60",
            today=today,
            source="bench_shape",
        )
        c.execute("DROP TABLE bench_shape")
        c.execute("ANALYZE")


TABLES = (
    "patients_patient",
    "patients_enrollment",
    "treatment_medicationorder",
    "treatment_doserecord",
    "treatment_doseamendment",
    "treatment_takehomeplan",
    "treatment_medicationfill",
    "assessments_assessment",
    "treatment_naloxonekit",
)


def _rows() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as c:
        out = {}
        for table in TABLES:
            c.execute(f"SELECT count(*) FROM {table}")
            out[table] = c.fetchone()[0]
    return out


def _headline(report: Any) -> str:
    lines = [f"    {report.people:,} people; window {report.start} .. {report.end}"]
    for m in report.measures:
        value = "-" if m.value is None else f"{m.value:g}"
        lines.append(
            f"    {m.code:22} {value:>6} {'days' if m.unit == 'days' else '%':4} "
            f"numerator {m.numerator:,}, denominator {m.denominator:,}, pending {m.pending:,}, "
            f"left out {dict(m.excluded) or '-'}"
        )
    return "\n".join(lines)


def _one_report(trace: bool) -> dict[str, Any]:
    """`report` twice in this (fresh) process: "cold" (the report's modules imported, the connection
    opened) and "warm" (as in a worker that has served one), each with wall, CPU, the time spent in the
    database's statements (inside the cursor's execute, which fetches the rows) and the peak RSS growth:
    the kernel's peak (VmHWM, which `ru_maxrss` reads) after resetting it through /proc/self/clear_refs,
    minus VmRSS before. With `trace`, the second runs under tracemalloc and gives the peak of Python's own
    allocations (its time is not used)."""
    import resource
    import tracemalloc

    from keel.accounts.models import User

    admin = User.objects.get(username="bench.measures.admin")
    _reset_peak()  # ru_maxrss starts at the parent's peak (fork, then exec): the kernel's VmHWM is reset
    rss_before = _status_kb("VmRSS")
    cold = _timed_report(admin)
    cold["rss_growth_mb"] = (_status_kb("VmHWM") - rss_before) / 1024
    cold["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _reset_peak()
    rss_before = _status_kb("VmRSS")
    if trace:
        tracemalloc.start()
    warm = _timed_report(admin)
    warm["rss_growth_mb"] = (_status_kb("VmHWM") - rss_before) / 1024
    warm["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    warm["cold"] = cold
    return warm


def _timed_report(admin: Any) -> dict[str, Any]:
    from django.db import connection

    from keel.measures import queries

    in_db = [0.0, 0]

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_db[0] += time.perf_counter() - t0
            in_db[1] += 1

    load = os.getloadavg()[0]
    with connection.execute_wrapper(timed):
        t0, c0 = time.perf_counter(), time.process_time()
        queries.report(admin, program_slug=SLUG, raw={})
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"wall": wall, "cpu": cpu, "db": in_db[0], "statements": in_db[1], "load": load}


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak RSS (VmHWM, ru_maxrss) back to the current RSS


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(f"{field}:"))


def _fresh(database_url: str, trace: bool) -> dict[str, Any]:
    import json
    import subprocess

    argv = [sys.executable, __file__, "--database-url", database_url, "--one-report"]
    out = subprocess.run([*argv, "--trace"] if trace else argv, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _spread(values: list[float], fmt: str = ".1f") -> str:
    return "/".join(format(v, fmt) for v in (min(values), statistics.median(values), max(values)))


def sizes(args: argparse.Namespace) -> None:
    import cProfile
    import pstats

    from django.db import connection

    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.measures import queries

    assert connection.vendor == "postgresql", "the data is generated with PostgreSQL's generate_series"
    program = Program.objects.create(slug=SLUG, name="Bench Measures")
    admin, _ = accounts.create_user(
        username="bench.measures.admin", role="program_admin", password="x" * 16, program_slug=SLUG
    )
    table, built = [], 0
    for size in [int(s) for s in args.sizes.split(",")]:
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        step = 10_000
        for lo in range(built, size, step):
            _grow(program.pk, admin.pk, lo, min(lo + step, size), program_today_of(program))
        build = time.perf_counter() - t0
        built = size
        rows = _rows()
        print(
            f"built {size:,} people in {build:.0f} s (load average {load0:.2f}-{os.getloadavg()[0]:.2f}): "
            + ", ".join(f"{t.split('_', 1)[1]} {n:,}" for t, n in rows.items()),
            flush=True,
        )
        report = queries.report(admin, program_slug=SLUG, raw={})  # warm, and the headline values
        print(_headline(report), flush=True)
        runs = [_fresh(args.database_url, trace=False) for _ in range(args.rounds)]
        traced = _fresh(args.database_url, trace=True)
        for r in runs:
            for name, x in (("cold", r["cold"]), ("warm", r)):
                print(
                    f"  report, {name}: wall {x['wall']:.2f} s, CPU {x['cpu']:.2f} s, in the database "
                    f"{x['db']:.2f} s ({x['statements']} statements), peak RSS growth "
                    f"{x['rss_growth_mb']:.0f} MB, load average {x['load']:.2f}",
                    flush=True,
                )
        print(f"  tracemalloc peak {traced['tracemalloc_peak_mb']:.0f} MB (one more fresh process)")
        if str(size) in args.profile.split(","):
            profile = cProfile.Profile()
            profile.runcall(queries.report, admin, program_slug=SLUG, raw={})
            pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
            pstats.Stats(profile).sort_stats("tottime").print_stats(20)
        table.append((size, sum(rows.values()), rows["treatment_doserecord"], build, runs, traced))
    print(
        "\n| people | rows (doses) | build s | report wall s | CPU s | database s | peak RSS growth MB "
        "(warm; cold) | tracemalloc peak MB | load average (1 min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size, total, doses, build, runs, traced in table:
        print(
            f"| {size:,} | {total:,} ({doses:,}) | {build:.0f} | {_spread([r['wall'] for r in runs])} "
            f"| {_spread([r['cpu'] for r in runs])} | {_spread([r['db'] for r in runs])} "
            f"| {_spread([r['rss_growth_mb'] for r in runs], '.0f')}; "
            f"{_spread([r['cold']['rss_growth_mb'] for r in runs], '.0f')} "
            f"| {traced['tracemalloc_peak_mb']:.0f} "
            f"| {_spread([r['load'] for r in runs], '.2f')} |"
        )


def program_today_of(program: Any) -> date:
    from keel.measures.queries import program_today

    return program_today(program)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", help="PostgreSQL: grow one database in SQL to each size and time report")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="", help="sizes mode: cProfile the report at these sizes (1,2)")
    parser.add_argument("--one-report", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_report:
        import json

        _setup_existing(args.database_url)
        print(json.dumps(_one_report(args.trace)))
        return
    _setup(args.database_url)
    if args.sizes:
        sizes(args)
        return
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from keel.careteam.queries import caseload
    from keel.measures import queries

    admin, nurse = _build(args.people, args.seed)
    for name, call in (
        ("measures report", lambda: queries.report(admin, program_slug="bench", raw={})),
        ("caseload (one nurse, everyone)", lambda: caseload(nurse)),
    ):
        times = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
        print(
            f"{connection.vendor} {name}: {args.people} people, "
            f"median {statistics.median(times) * 1000:.0f} ms "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), {len(ctx.captured_queries)} queries"
        )
    _ = date


if __name__ == "__main__":
    main()
