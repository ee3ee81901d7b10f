"""Review 35e hole 3 (lane fix36c): a person's name is ordered by one accent-folded key,
`keel.core.names.sort_key`, stored in `Patient.sort_name` and read by every path of the caseload (the
ranking in Python, the head, `_tail`, the page cut by the database). "Ángela" is listed with the A names;
Spanish "ñ" is a letter after "n" and before "o". SQLite and PostgreSQL."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from keel.careteam import queries
from keel.core.names import sort_key
from keel.patients.models import (
    CareTeamMember,
    Enrollment,
    EnrollmentStatus,
    Patient,
    family_first,
    local_today,
)
from tests.conftest import World

NAMES = [
    "Zoe Quintero",
    "Ángela Ruiz",
    "Óscar Peña",
    "Ñúñez Ana",
    "Nuria Zapata",
    "Élodie Marín",
    "Pablo Ortiz",
]
ORDERED = [
    "Ángela Ruiz",
    "Élodie Marín",
    "Nuria Zapata",
    "Ñúñez Ana",
    "Óscar Peña",
    "Pablo Ortiz",
    "Zoe Quintero",
]


def test_an_accent_on_a_latin_letter_does_not_change_its_place() -> None:
    assert sort_key("Ángela") == sort_key("angela")


def test_case_does_not_change_a_place() -> None:
    assert sort_key("ÓSCAR") == sort_key("oscar")


def test_enye_follows_every_n_and_comes_before_o() -> None:
    assert sorted(["Oscar", "Ñúñez", "Nuria", "Nz"], key=sort_key) == ["Nuria", "Nz", "Ñúñez", "Oscar"]


def test_nunez_with_enye_follows_nunez_without() -> None:
    assert sorted(["Nuñez", "Nunez", "Nunf"], key=sort_key) == ["Nunez", "Nunf", "Nuñez"]


def test_the_names_sort_as_a_spanish_reader_expects() -> None:
    assert sorted(NAMES, key=sort_key) == ORDERED


def _people(world: World) -> list[int]:
    ids = []
    for n, name in enumerate(NAMES):
        given, family = name.split(" ")
        p = Patient.objects.create(
            program=world.riverside, record_number=f"NO-{n}", given_name=given, family_name=family
        )
        CareTeamMember.objects.create(patient=p, user=world.staff["nurse"])
        ids.append(p.pk)
    return ids


def _shown(world: World) -> list[str]:
    mine = {f"{n.split(' ')[0]} {n.split(' ')[1]}" for n in NAMES}
    rows = queries.caseload(world.staff["nurse"], status="all")
    return [r.display_name for r in rows if r.display_name in mine]


@pytest.mark.django_db
def test_the_stored_key_is_the_folded_name(world: World) -> None:
    _people(world)
    assert Patient.objects.get(record_number="NO-1").sort_name == sort_key("Ángela Ruiz")


@pytest.mark.django_db
def test_the_caseload_lists_names_in_order_in_python(world: World) -> None:
    _people(world)
    assert _shown(world) == ORDERED


@pytest.mark.django_db
def test_the_caseload_lists_names_in_order_through_the_head_and_the_database_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keel.careteam.queries.reads.HEAD_ABOVE", 0)
    monkeypatch.setattr("keel.careteam.queries.listing.TAIL_IN_SQL_ABOVE", 0)
    _people(world)
    assert _shown(world) == ORDERED


@pytest.mark.django_db
def test_the_migration_refolds_a_stored_key(world: World) -> None:
    ids = _people(world)
    Patient.objects.filter(pk=ids[1]).update(sort_name="ángela ruiz")  # the key before the fold
    migration = importlib.import_module("keel.patients.migrations.0018_sort_name_folded")
    migration._refold(django_apps, None)
    assert Patient.objects.get(pk=ids[1]).sort_name == sort_key("Ángela Ruiz")


def test_family_first_orders_an_accented_family_name_with_its_letter() -> None:
    avila = Patient(pk=2, given_name="Ana", family_name="Ávila")
    zapata = Patient(pk=1, given_name="Ana", family_name="Zapata")
    assert sorted([zapata, avila], key=family_first) == [avila, zapata]


@pytest.mark.django_db
def test_the_windows_list_orders_an_accented_family_name_with_its_letter(world: World) -> None:
    from keel.treatment import services
    from keel.treatment.queries import dosing_list

    names = []
    for n, family in enumerate(["Zapata", "Ávila"]):
        p = Patient.objects.create(
            program=world.riverside, record_number=f"WL-{n}", given_name="Ana", family_name=family
        )
        Enrollment.objects.create(
            patient=p, program=world.riverside, started_on=local_today(p), status=EnrollmentStatus.ACTIVE
        )
        for role in ("prescriber", "nurse"):
            CareTeamMember.objects.create(patient=p, user=world.staff[role])
        services.prescribe(by=world.staff["prescriber"], patient_id=p.pk, medication="methadone", dose_mg=30)
        names.append(p.pk)
    listed = [r.patient.pk for r in dosing_list(world.staff["nurse"]) if r.patient.pk in names]
    assert listed == list(reversed(names))
