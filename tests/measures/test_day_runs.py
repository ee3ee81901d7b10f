"""The measures read observed doses as runs of consecutive days counted by the database (`day_runs`); the
people the report reads are the same as when every dose row came to Python (the path before, kept below as
the reference), and the runs the same as the gaps-and-islands read that came before the bit masks (kept
below too), on a generated population and on runs across the masks' 63-day blocks, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections
from django.db.models import QuerySet

from keel.core.measures.coverage import Span, cover_days, day_spans
from keel.core.rules.naltrexone import INTERVAL_DAYS
from keel.measures import queries
from keel.patients.models import Patient
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, MedicationOrder, TakeHomePlan
from tests.conftest import World

pytestmark = pytest.mark.django_db
FIRST = date(2026, 1, 1)


def _population(world: World, people: int = 25, seed: int = 5) -> None:
    """Doses of three medicines with gaps, two on one day, held doses, voided ones, and take-home bottles."""
    rng = random.Random(seed)
    nurse = world.staff["nurse"]
    for i in range(people):
        patient = Patient.objects.create(
            program=world.riverside,
            record_number=f"DR-{i:04d}",
            given_name="Run",
            family_name=f"Person{i}",
            date_of_birth=date(1980, 1, 1),
        )
        for medication in rng.sample(["methadone", "buprenorphine", "naltrexone_xr"], rng.randint(1, 3)):
            order = MedicationOrder.objects.create(
                patient=patient,
                medication=medication,
                rxnorm="6813",
                dose_mg=Decimal(60),
                starts_on=FIRST,
                prescriber=nurse,
                created_at=world_now(),
            )
            step = 28 if medication == "naltrexone_xr" else 1
            doses = []
            for n in range(0, rng.randint(0, 120), step):
                if rng.random() < 0.15:
                    continue  # a missed day: a gap
                doses.append(
                    DoseRecord(
                        patient=patient,
                        order=order,
                        medication=medication,
                        local_date=FIRST + timedelta(days=n),
                        sequence=1,
                        status=DoseStatus.GIVEN if rng.random() < 0.9 else DoseStatus.HELD,
                        amount_mg=Decimal(60),
                        treatment_day=n + 1,
                        decision={},
                        recorded_by=nurse,
                        recorded_at=world_now(),
                    )
                )
            made = DoseRecord.objects.bulk_create(doses)
            for dose in made:
                if rng.random() < 0.05:
                    DoseAmendment.objects.create(
                        dose=dose,
                        voided=True,
                        reason="wrong person",
                        amended_by=nurse,
                        amended_at=world_now(),
                    )
        if rng.random() < 0.4:
            start = FIRST + timedelta(days=rng.randint(0, 120))
            bottles = [(start + timedelta(days=k)).isoformat() for k in range(rng.randint(1, 4))]
            TakeHomePlan.objects.create(
                patient=patient,
                decided_by=nurse,
                decided_at=world_now(),
                days_in_treatment=90,
                criteria={},
                decision={},
                max_supply_days=3,
                bottles=bottles,
                # handed out, as the dose path records them: a bottle that never left covers no day (lane
                # fhir25: the measures read plans as handed out); these are the bottles the reference reads
                bottle_mg={iso: "60.00" for iso in bottles},
            )


def world_now() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _coverage_row_by_row(world: World) -> dict[int, tuple[Span, ...]]:
    """The path before: every given dose row to Python, days in a set, `day_spans` over them."""
    days: dict[int, set[date]] = defaultdict(set)
    injections: dict[int, list[Span]] = defaultdict(list)
    doses = (
        DoseRecord.objects.filter(patient__program=world.riverside, status=DoseStatus.GIVEN)
        .exclude(amendments__voided=True)
        .values_list("patient_id", "medication", "local_date")
    )
    for pk, medication, day in doses:
        if medication == "naltrexone_xr":
            injections[pk].append(cover_days(day, INTERVAL_DAYS))
        else:
            days[pk].add(day)
    for pk, bottles in TakeHomePlan.objects.filter(patient__program=world.riverside).values_list(
        "patient_id", "bottles"
    ):
        days[pk] |= {date.fromisoformat(iso) for iso in bottles or []}
    pks = Patient.objects.filter(program=world.riverside).values_list("pk", flat=True)
    return {pk: (*day_spans(days[pk]), *injections[pk]) for pk in pks}


def test_the_people_read_cover_the_days_the_row_by_row_read_covers(world: World) -> None:
    _population(world)
    people = {p.key: p.coverage for p in queries._people(world.riverside)}
    assert people == _coverage_row_by_row(world)


def test_the_runs_are_the_day_spans_of_each_patients_dose_days(world: World) -> None:
    _population(world)
    given = DoseRecord.objects.filter(patient__program=world.riverside, status=DoseStatus.GIVEN)
    by_row: dict[int, set[date]] = defaultdict(set)
    for pk, day in given.values_list("patient_id", "local_date"):
        by_row[pk].add(day)
    runs: dict[int, list[Span]] = defaultdict(list)
    for pk, first, last in queries.day_runs(given):
        runs[pk].append(Span(first, last))
    assert {pk: sorted(r) for pk, r in runs.items()} == {pk: day_spans(d) for pk, d in by_row.items()}


def test_the_generated_population_has_gaps_voids_and_bottles(world: World) -> None:
    _population(world)
    runs = queries.day_runs(DoseRecord.objects.filter(patient__program=world.riverside))
    patients = [pk for pk, _, _ in runs]
    assert len(patients) > len(set(patients))  # someone has more than one run: a gap
    assert DoseAmendment.objects.filter(voided=True).exists()
    assert TakeHomePlan.objects.exists()


def _gaps_and_islands(doses: QuerySet[DoseRecord]) -> list[tuple[int, date, date]]:
    """`day_runs` as it was before the bit masks (issue #21): the distinct days, a day's number minus its
    rank among the patient's days the same along a run (a window over every dose row, sorted)."""
    days = doses.order_by().values("patient_id", "local_date").distinct()
    sql, params = days.query.get_compiler(using=days.db).as_sql()
    conn = connections[days.db]
    if conn.vendor == "postgresql":
        day_number = "d.local_date - DATE '2000-01-01'"
    else:
        day_number = "CAST(julianday(d.local_date) AS INTEGER)"
    statement = (
        "SELECT r.patient_id, MIN(r.local_date), MAX(r.local_date) FROM ("
        f"SELECT d.patient_id, d.local_date, {day_number} - ROW_NUMBER() OVER "
        f"(PARTITION BY d.patient_id ORDER BY d.local_date) AS run FROM ({sql}) AS d"
        ") AS r GROUP BY r.patient_id, r.run"
    )
    with conn.cursor() as cursor:
        cursor.execute(statement, params)
        return [
            (pk, *(d if isinstance(d, date) else date.fromisoformat(d) for d in (first, last)))
            for pk, first, last in cursor.fetchall()
        ]


def _block_edges(world: World) -> None:
    """Runs that cross the bit masks' 63-day blocks, end on a block's last day or start on its first, one
    of 200 days (four blocks), a lone day, and two medicines on the same days."""
    nurse = world.staff["nurse"]
    edge = queries.EPOCH + timedelta(days=queries.BLOCK * 700 - 1)  # the last day of block 699
    shapes = {
        "across": [edge + timedelta(days=k) for k in range(-2, 3)],
        "to the edge": [edge - timedelta(days=k) for k in range(4)] + [edge + timedelta(days=3)],
        "from the edge": [edge - timedelta(days=3)] + [edge + timedelta(days=k) for k in range(1, 5)],
        "long": [edge - timedelta(days=70) + timedelta(days=k) for k in range(200) if k != 150],
        "lone": [edge + timedelta(days=40)],
    }
    for i, (name, days) in enumerate(shapes.items()):
        patient = Patient.objects.create(
            program=world.riverside,
            record_number=f"BE-{i:04d}",
            given_name="Edge",
            family_name=name,
            date_of_birth=date(1980, 1, 1),
        )
        for medication in ("methadone", "buprenorphine") if name == "across" else ("methadone",):
            order = MedicationOrder.objects.create(
                patient=patient,
                medication=medication,
                rxnorm="6813",
                dose_mg=Decimal(60),
                starts_on=days[0],
                prescriber=nurse,
                created_at=world_now(),
            )
            DoseRecord.objects.bulk_create(
                DoseRecord(
                    patient=patient,
                    order=order,
                    medication=medication,
                    local_date=day,
                    sequence=1,
                    status=DoseStatus.GIVEN,
                    amount_mg=Decimal(60),
                    treatment_day=1,
                    decision={},
                    recorded_by=nurse,
                    recorded_at=world_now(),
                )
                for day in days
            )


def test_the_bit_mask_runs_are_the_gaps_and_islands_runs(world: World) -> None:
    _population(world)
    _block_edges(world)
    for doses in (
        DoseRecord.objects.filter(patient__program=world.riverside),
        DoseRecord.objects.filter(patient__program=world.riverside, status=DoseStatus.GIVEN)
        .exclude(amendments__voided=True)
        .exclude(medication="naltrexone_xr"),
    ):
        assert sorted(queries.day_runs(doses)) == sorted(_gaps_and_islands(doses))
    edge = queries.EPOCH + timedelta(days=queries.BLOCK * 700 - 1)
    runs = {
        Patient.objects.get(pk=pk).family_name: (first, last)
        for pk, first, last in queries.day_runs(DoseRecord.objects.filter(patient__record_number="BE-0000"))
    }
    assert runs == {"across": (edge - timedelta(days=2), edge + timedelta(days=2))}
    by_person: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for pk, first, last in queries.day_runs(DoseRecord.objects.filter(patient__given_name="Edge")):
        by_person[Patient.objects.get(pk=pk).family_name].append((first, last))
    assert sorted(by_person["to the edge"]) == [
        (edge - timedelta(days=3), edge),
        (edge + timedelta(days=3),) * 2,
    ]
    assert sorted(by_person["from the edge"]) == [
        (edge - timedelta(days=3),) * 2,
        (edge + timedelta(days=1), edge + timedelta(days=4)),
    ]
    long_start = edge - timedelta(days=70)
    assert sorted(by_person["long"]) == [
        (long_start, long_start + timedelta(days=149)),
        (long_start + timedelta(days=151), long_start + timedelta(days=199)),
    ]
    assert by_person["lone"] == [(edge + timedelta(days=40),) * 2]
