"""Lane fix38c item 3: every list of people that does not order them itself goes by the model's default, and
that default is the one folded key lists order names by (`Patient.sort_name`, `core.names.sort_key`, read in
code-point order on SQLite and PostgreSQL alike): "Ávila" and "álvarez" with the A names, not after "Zapata";
"Nuñez" after every "Nunez" and before "Ortiz"; two names that fold alike in the order they were registered.
Routes: the people API, the program's care-team page, the model's default; FHIR's Patient search keeps id
order (a stable page for a system paging through it while people are registered). No CLI lists people."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection

from keel.patients.models import Patient
from tests.conftest import World

pytestmark = pytest.mark.django_db

FAMILIES = ["Zapata", "Álvarez", "Ortiz", "Nuñez", "Ávila", "álvarez", "Nunez"]


def _people(world: World) -> list[Patient]:
    """Ana of each family in `FAMILIES`, at Riverside, registered in that order."""
    return [
        Patient.objects.create(
            program=world.riverside,
            record_number=f"RR-9{n:03}",
            given_name="Ana",
            family_name=family,
            date_of_birth=date(1985, 3, 2),
        )
        for n, family in enumerate(FAMILIES)
    ]


def _ours(names: list[str]) -> list[str]:
    return [n.removeprefix("Ana ") for n in names if n.startswith("Ana ")]


def _expected() -> list[str]:
    # "álvarez" was registered after "Álvarez": the same key, so id order
    return ["Álvarez", "álvarez", "Ávila", "Nunez", "Nuñez", "Ortiz", "Zapata"]


def test_the_default_order_folds_accents_and_case(world: World) -> None:
    _people(world)
    assert _ours([p.display_name for p in Patient.objects.filter(program=world.riverside)]) == _expected()


def test_the_people_api_lists_by_the_folded_name(world: World, signed_in: Any) -> None:
    _people(world)
    listed = signed_in("program_admin").get("/api/v1/patients")
    assert _ours([p["display_name"] for p in listed.json()]) == _expected()


def test_the_care_team_page_lists_by_the_folded_name(world: World, signed_in: Any) -> None:
    _people(world)
    page = signed_in("program_admin").get("/program/care-teams/")
    assert _ours([p.display_name for p in page.context["patients"]]) == _expected()


def test_the_fhir_patient_search_pages_in_id_order(world: World, signed_in: Any) -> None:
    people = _people(world)
    found = signed_in("program_admin").get("/fhir/R4/Patient", {"_count": 100})
    ids = [int(e["resource"]["id"]) for e in found.json().get("entry", [])]
    assert [i for i in ids if i in {p.pk for p in people}] == sorted(p.pk for p in people)


def test_the_default_order_names_the_code_point_collation() -> None:
    """Not the database's own collation (an en_US database would put "Nuñez" among the "Nunez" and read
    "Ana Maria" past spaces): the test databases here are C.UTF-8, so the order alone cannot show it."""
    wanted = 'COLLATE "C"' if connection.vendor == "postgresql" else "COLLATE BINARY"
    assert wanted in str(Patient.objects.all().query)
