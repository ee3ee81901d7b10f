"""Review 29b H1: the duplicate search at registration reads a name one way (`core.names.person_name_key`):
letter case, accents, the tilde of "ñ", spacing, hyphens and apostrophes do not matter, on SQLite and on
PostgreSQL alike (the program and the birth date narrow in SQL, the names are compared in Python). The search
stays within the program registered into; a living person's duplicate keeps the plain question."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core.names import person_name_key
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import Patient
from keel.patients.schemas import RegistrationIn
from keel.patients.services import likely_duplicates, register_patient
from tests.conftest import World
from tests.review27b.test_death_and_activation import _record_death

BORN = "1980-03-02"


@pytest.mark.parametrize(
    ("typed", "on_record"),
    [
        ("Maria Nunez", "María Núñez"),
        ("MARÍA NÚÑEZ", "maría núñez"),
        ("Nuñez", "Nunez"),
        ("María  del   Carmen", "María del Carmen"),
        (" María ", "María"),
        ("García-López", "García López"),
        ("García\u2010López", "Garcia-Lopez"),
        ("O'Brien", "O\u2019Brien"),
        ("O'Brien", "OBrien"),
        ("Straße", "STRASSE"),
        ("Jose\u0301", "José"),
    ],
)
def test_names_the_desk_types_differently_read_the_same(typed: str, on_record: str) -> None:
    assert person_name_key(typed) == person_name_key(on_record)


@pytest.mark.parametrize(("one", "other"), [("María", "Mario"), ("Ana María", "Ana"), ("Peña", "Pen")])
def test_different_names_stay_different(one: str, other: str) -> None:
    assert person_name_key(one) != person_name_key(other)


def test_what_is_not_text_reads_as_no_name() -> None:
    assert person_name_key(None) == ""


def _registration(given: str, family: str, born: str = BORN, program: str = "riverside") -> dict[str, Any]:
    return {
        "program": program,
        "given_name": given,
        "family_name": family,
        "date_of_birth": born,
        "notice_given": True,
        "consented": True,
        "episode_kind": "otp",
    }


def _register(world: World, given: str, family: str, **more: Any) -> Patient:
    done = register_patient(
        by=world.staff["program_admin"], data=RegistrationIn.posted(_registration(given, family, **more))
    )
    return done.patient


def _refused(world: World, given: str, family: str, **more: Any) -> FieldsInvalid:
    with pytest.raises(FieldsInvalid) as refused:
        _register(world, given, family, **more)
    return refused.value


@pytest.mark.django_db
def test_a_dead_persons_name_typed_without_accents_is_refused_naming_the_question(world: World) -> None:
    _record_death(world, _register(world, "María", "Núñez"))
    assert [e.field for e in _refused(world, "Maria", "Nunez").errors] == ["not_a_duplicate"]


@pytest.mark.django_db
def test_a_dead_persons_name_typed_without_accents_is_told_of_the_death(world: World) -> None:
    _record_death(world, _register(world, "María", "Núñez"))
    assert "that record shows the person died" in str(_refused(world, "MARIA", "NUNEZ"))


@pytest.mark.django_db
def test_a_living_persons_name_typed_without_accents_is_asked_the_plain_question(world: World) -> None:
    _register(world, "María José", "Núñez-Peña")
    said = str(_refused(world, "maria  jose", "Nunez Pena"))
    assert "check it is not the same person" in said


@pytest.mark.django_db
def test_a_living_persons_duplicate_does_not_say_died(world: World) -> None:
    _register(world, "María", "Núñez")
    assert "died" not in str(_refused(world, "Maria", "Nunez"))


@pytest.mark.django_db
def test_the_same_name_born_another_day_is_no_duplicate(world: World) -> None:
    first = _register(world, "María", "Núñez")
    assert likely_duplicates(first.program, "Maria", "Nunez", first.date_of_birth.replace(day=3)) == []


@pytest.mark.django_db
def test_the_search_finds_the_record_whatever_the_accents(world: World) -> None:
    first = _register(world, "María", "Núñez")
    assert likely_duplicates(first.program, "Maria", "NUNEZ", first.date_of_birth) == [first]


@pytest.mark.django_db
def test_the_search_stays_within_the_program_registered_into(world: World) -> None:
    first = _register(world, "María", "Núñez")
    assert likely_duplicates(world.lakeside, "Maria", "Nunez", first.date_of_birth) == []


@pytest.mark.django_db
def test_another_programs_person_is_never_found_at_registration(world: World) -> None:
    charlie = world.charlie
    again = register_patient(
        by=world.staff["program_admin"],
        data=RegistrationIn.posted(
            _registration(
                charlie.given_name.upper(), charlie.family_name, born=charlie.date_of_birth.isoformat()
            )
        ),
    )
    assert again.patient.program_id == world.riverside.pk


@pytest.mark.django_db
def test_the_refusal_that_says_the_death_is_audited_as_saying_it(world: World) -> None:
    from keel.audit.models import AuditEvent

    first = _register(world, "María", "Núñez")
    _record_death(world, first)
    _refused(world, "Maria", "Nunez")
    said = AuditEvent.objects.filter(
        reason="registration: this person is already registered; the death was said"
    )
    assert list(said.values_list("patient_id", flat=True)) == [first.pk]
