"""The caseload's missed-days signal read set-based (issue #21): `missed_days` gives every person the same
count `dose_contexts` gives (the dose path's one definition), over a varied population: gaps, held doses,
doses voided or corrected (to 0 mg and back) by amendments, two doses a day, take-home bottle days (of this
episode, of an earlier one, ended early), discharged and readmitted people, a first dose after "today",
two medications and two "todays" in one call. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from keel.careteam import queries
from keel.patients.models import CareTeamMember, EndReason, Enrollment, EnrollmentStatus, Patient
from keel.treatment.models import (
    DoseAmendment,
    DoseRecord,
    DoseStatus,
    MedicationOrder,
    TakeHomePlan,
    in_force_q,
)
from keel.treatment.queries import dose_contexts, missed_days
from tests.conftest import World

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # 09:00 in New York
TODAY = date(2026, 11, 25)
MEDICATIONS = ("methadone", "buprenorphine")


def _population(world: World, people: int = 80, seed: int = 21) -> list[Patient]:
    rng = random.Random(seed)
    nurse = world.staff["nurse"]
    program = world.riverside
    patients = Patient.objects.bulk_create(
        Patient(
            program=program,
            record_number=f"EQ-{i:04d}",
            given_name="Equal",
            family_name=f"Person{i:03d}",
            date_of_birth=date(1985, 1, 1),
        )
        for i in range(people)
    )
    CareTeamMember.objects.bulk_create(CareTeamMember(patient=p, user=nurse) for p in patients)
    doses: list[DoseRecord] = []
    amendments: list[tuple[int, list[tuple[bool, Decimal | None]]]] = []  # dose index, (voided, mg)...
    for p in patients:
        shape = rng.random()
        started = TODAY - timedelta(days=rng.randint(0, 70))
        if shape < 0.15:  # discharged: the episode ended, no active one
            Enrollment.objects.create(
                patient=p,
                program=program,
                started_on=started - timedelta(days=15),
                ended_on=TODAY - timedelta(days=rng.randint(1, 10)),
                status=EnrollmentStatus.ENDED,
                end_reason=EndReason.COMPLETED,
            )
        elif shape < 0.3:  # readmitted: an ended episode, then an active one
            Enrollment.objects.create(
                patient=p,
                program=program,
                started_on=started - timedelta(days=40),
                ended_on=started - timedelta(days=20),
                status=EnrollmentStatus.ENDED,
                end_reason=EndReason.COMPLETED,
            )
            Enrollment.objects.create(patient=p, program=program, started_on=started)
        elif shape < 0.95:
            Enrollment.objects.create(patient=p, program=program, started_on=started)
        # else: never enrolled
        enrollment = Enrollment.objects.filter(patient=p).order_by("-started_on").first()
        for medication in MEDICATIONS:
            if rng.random() < 0.25:
                continue
            order = MedicationOrder.objects.create(
                patient=p,
                medication=medication,
                rxnorm="6813" if medication == "methadone" else "1010600",
                dose_mg=Decimal(40 if medication == "methadone" else 16),
                starts_on=started,
                prescriber=world.staff["prescriber"],
                created_at=NOW - timedelta(days=80),
            )
            miss_rate = rng.choice((0.0, 0.1, 0.4, 0.9))
            stop = TODAY + timedelta(days=rng.choice((-20, -5, -1, 0, 0, 0, 1)))  # some stop early
            day = started - timedelta(days=rng.choice((0, 0, 30)))  # some doses from an earlier episode
            while day <= stop:
                if rng.random() >= miss_rate:
                    for sequence in (1, 2) if rng.random() < 0.1 else (1,):
                        held = rng.random() < 0.08
                        mg = Decimal(0) if rng.random() < 0.03 else order.dose_mg
                        doses.append(
                            DoseRecord(
                                patient=p,
                                order=order,
                                medication=medication,
                                local_date=day,
                                sequence=sequence,
                                status=DoseStatus.HELD if held else DoseStatus.GIVEN,
                                amount_mg=mg,
                                treatment_day=1,
                                decision={},
                                recorded_by=nurse,
                                recorded_at=NOW - timedelta(days=(TODAY - day).days),
                            )
                        )
                        r = rng.random()
                        if r < 0.06:
                            amendments.append((len(doses) - 1, [(True, None)]))
                        elif r < 0.1:
                            amendments.append((len(doses) - 1, [(False, Decimal(0))]))
                        elif r < 0.13:  # corrected to 0, then back to an amount
                            amendments.append((len(doses) - 1, [(False, Decimal(0)), (False, Decimal(20))]))
                        elif r < 0.15:  # a held dose corrected to an amount
                            amendments.append((len(doses) - 1, [(False, Decimal(10))]))
                day += timedelta(days=1)
        if enrollment is not None and rng.random() < 0.35:
            first_bottle = TODAY - timedelta(days=rng.randint(0, 12))
            bottles = [(first_bottle + timedelta(days=n)).isoformat() for n in range(rng.randint(1, 6))]
            TakeHomePlan.objects.create(
                patient=p,
                decided_by=world.staff["prescriber"],
                decided_at=NOW - timedelta(days=(TODAY - first_bottle).days + 1),
                days_in_treatment=30,
                criteria={},
                decision={},
                max_supply_days=len(bottles),
                bottles=bottles,
                enrollment=enrollment if rng.random() < 0.7 else None,
                ended_on=first_bottle + timedelta(days=1) if rng.random() < 0.3 else None,
            )
    made = DoseRecord.objects.bulk_create(doses)
    for index, steps in amendments:
        for n, (voided, mg) in enumerate(steps):
            DoseAmendment.objects.create(
                dose=made[index],
                voided=voided,
                corrected_mg=mg,
                reason="Recorded in error",
                amended_by=world.staff["prescriber"],
                amended_at=NOW - timedelta(hours=10 - n),
            )
    return patients


@pytest.fixture
def population(world: World) -> list[Patient]:
    return _population(world)


def _old(pairs: list[tuple[Patient, date]], medication: str) -> dict[int, int]:
    return {pk: c.missed_days_in_a_row for pk, c in dose_contexts(pairs, medication).items()}


@pytest.mark.parametrize("medication", MEDICATIONS)
@pytest.mark.parametrize("shift", [0, 1, 3])
def test_missed_days_are_the_dose_contexts_count_for_every_person(
    population: list[Patient], medication: str, shift: int
) -> None:
    today = TODAY - timedelta(days=shift)
    pairs = [(p, today) for p in population]
    assert missed_days(pairs, medication) == _old(pairs, medication)


@pytest.mark.parametrize("medication", MEDICATIONS)
def test_missed_days_hold_when_people_have_different_todays(
    population: list[Patient], medication: str
) -> None:
    pairs = [(p, TODAY - timedelta(days=i % 2)) for i, p in enumerate(population)]
    assert missed_days(pairs, medication) == _old(pairs, medication)


def test_the_population_has_people_with_misses_and_without(population: list[Patient]) -> None:
    counts = set(missed_days([(p, TODAY) for p in population], "methadone").values())
    assert {0, 1}.issubset(counts)
    assert max(counts) > 3


def test_no_one_gives_no_missed_days() -> None:
    assert missed_days([], "methadone") == {}


def test_the_caseload_shows_the_dose_contexts_count_for_every_person(
    world: World, population: list[Patient]
) -> None:
    with time_machine.travel(NOW, tick=False):
        rows = queries.caseload(world.staff["nurse"], status="all")
    on_methadone = set(
        MedicationOrder.objects.filter(in_force_q(TODAY), medication="methadone").values_list(
            "patient_id", flat=True
        )
    )
    expected = _old([(p, TODAY) for p in population if p.pk in on_methadone], "methadone")
    ours = {p.pk for p in population}
    shown: dict[int, Any] = {row.id: row.missed_dose_days for row in rows if row.id in ours}
    assert shown == {p.pk: expected.get(p.pk) for p in population}
