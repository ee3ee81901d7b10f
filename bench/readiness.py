"""Buprenorphine readiness, the one definition the start page shows and the dosing window's gate calls on a
first standard dose (`keel.treatment.services.buprenorphine_readiness`), on a person with a long record:
intakes, reports of last use, two weeks of hourly COWS, a year of observed methadone doses and take-home
bottles. Prints the time (min / median / max) and the number of queries, in-process against a fresh
database (SQLite by default).

    .venv/bin/python bench/readiness.py [--days 365] [--runs 50]
    .venv/bin/python bench/readiness.py --database-url postgresql://postgres@127.0.0.1:5432/keel_bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
from bench.directory import _setup


def _build(days: int) -> object:
    from django.utils import timezone

    from keel.accounts import services as accounts
    from keel.accounts.models import Program
    from keel.assessments.models import SCORER_VERSION, Assessment
    from keel.patients.models import Patient
    from keel.treatment.models import DoseRecord, Intake, LastUseReport, MedicationOrder, TakeHomePlan

    program = Program.objects.create(slug="bench", name="Bench Program")
    nurse, _ = accounts.create_user(
        username="bench.nurse", role="nurse", password="x" * 16, program_slug="bench"
    )
    now = timezone.now()
    person = Patient.objects.create(
        program=program,
        record_number="B-1",
        given_name="Bench",
        family_name="Person",
        date_of_birth=now.date() - timedelta(days=40 * 365),
    )
    order = MedicationOrder.objects.create(
        patient=person,
        medication="methadone",
        rxnorm="6813",
        dose_mg=Decimal(60),
        starts_on=now.date() - timedelta(days=days),
        prescriber=nurse,
        created_at=now - timedelta(days=days),
    )
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=person,
            order=order,
            medication="methadone",
            local_date=(now - timedelta(days=d)).date(),
            sequence=1,
            status="given",
            amount_mg=Decimal(60),
            treatment_day=days - d + 1,
            decision={},
            recorded_by=nurse,
            recorded_at=now - timedelta(days=d),
        )
        for d in range(4, days)
    )
    TakeHomePlan.objects.create(
        patient=person,
        decided_by=nurse,
        decided_at=now - timedelta(days=10),
        days_in_treatment=days,
        criteria={},
        decision={},
        max_supply_days=7,
        bottles=[(now - timedelta(days=d)).date().isoformat() for d in range(5, 12)],
    )
    for k in range(3):
        at = now - timedelta(days=30 * (2 - k), hours=2)
        Intake.objects.create(
            patient=person,
            values={
                "opioids": [
                    {
                        "opioid": "heroin",
                        "routes": ["inject"],
                        "last_use_at": (at - timedelta(hours=14)).isoformat(),
                    },
                    {
                        "opioid": "fentanyl",
                        "routes": ["smoke"],
                        "last_use_at": (at - timedelta(days=9)).isoformat(),
                    },
                ],
                "pregnant": "no",
            },
            overdose_risk={},
            recorded_by=nurse,
            recorded_at=at,
        )
    LastUseReport.objects.create(
        patient=person,
        opioids=[{"opioid": "rx_short", "last_use_at": (now - timedelta(hours=20)).isoformat()}],
        source="care_team",
        reported_by=nurse,
        reported_at=now - timedelta(hours=1),
    )
    Assessment.objects.bulk_create(
        Assessment(
            patient=person,
            program=program,
            instrument="cows",
            instrument_version="1",
            scorer_version=SCORER_VERSION,
            answers={},
            total=10 + h % 5,
            band="mild",
            result={},
            filled_by=nurse,
            filled_at=now - timedelta(hours=h, minutes=10),
        )
        for h in range(0, 24 * 14)
    )
    return person


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true", help="print where the time goes instead")
    args = parser.parse_args()
    _setup(args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from keel.treatment.services import buprenorphine_readiness

    person = _build(args.days)
    now = timezone.now()
    times = []
    if args.profile:
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            for _ in range(args.runs):
                buprenorphine_readiness(person, now)  # type: ignore[arg-type]
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            read = buprenorphine_readiness(person, now)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
    print(
        f"{connection.vendor} buprenorphine_readiness: {args.days} days of record, verdict "
        f"{read.readiness.decision if read.readiness else read.missing}; "
        f"median {statistics.median(times) * 1000:.1f} ms (min {min(times) * 1000:.1f}, "
        f"max {max(times) * 1000:.1f}), {len(ctx.captured_queries)} queries"
    )


if __name__ == "__main__":
    main()
