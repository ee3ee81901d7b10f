"""The director's measures at scale: one program with N people, each with up to a year of observed daily doses
(about 300,000 dose rows for 1,000 people), DSM-5 results, enrollments and naloxone kits; then the time of
`keel.measures.queries.report` (six set-based queries + the core) and of the caseload for one nurse on all of
them, in-process against a fresh database (SQLite by default).

    .venv/bin/python bench/measures.py [--people 1000] [--runs 5]
    .venv/bin/python bench/measures.py --database-url postgresql://postgres@127.0.0.1:5432/keel_bench
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from bench.directory import _setup


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    _setup(args.database_url)
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
