"""Whom an imported QuestionnaireResponse is about (issue #16): every fact the sender gives must agree
with the patient, and at least one must identify them. Plain Python, no database."""

from __future__ import annotations

from datetime import date

import pytest

from keel.core.instruments.fhir_import import Person, Subject, match_subject
from keel.core.rules.inputs import InvalidInput

MRN = "https://keel.invalid/fhir/record-number/riverside"
ALICIA = Person(
    MRN, "RR-0001", "Zamorano", ("Alicia", "Ali"), date(1990, 5, 17), "https://k/fhir/R4/Patient/7"
)


def _reason(subject: Subject) -> str:
    with pytest.raises(InvalidInput) as info:
        match_subject(subject, ALICIA)
    return info.value.errors[0].reason


def test_a_name_and_birth_date_that_agree_identify_the_patient() -> None:
    subject = Subject({}, names=(("Zamorano", ("Alicia",)),), birth_date="1990-05-17")
    assert match_subject(subject, ALICIA).matched_by == "name and birth date"


def test_accents_case_and_the_preferred_name_do_not_matter() -> None:
    subject = Subject({}, names=(("ZAMORANO", ("ali",)),), birth_date="1990-05-17")
    assert match_subject(subject, ALICIA).matched_by == "name and birth date"


def test_the_record_number_in_keels_system_identifies_the_patient() -> None:
    assert match_subject(Subject({}, identifiers=((MRN, "RR-0001"),)), ALICIA).matched_by == "identifier"


def test_keels_own_patient_url_identifies_the_patient() -> None:
    subject = Subject({}, reference_url="https://k/fhir/R4/Patient/7")
    assert match_subject(subject, ALICIA).matched_by == "keel reference"


def test_another_patients_keel_url_is_someone_else() -> None:
    assert "reference names another patient" in _reason(
        Subject({}, reference_url="https://k/fhir/R4/Patient/8")
    )


def test_a_matching_record_number_with_another_birth_date_is_refused() -> None:
    subject = Subject({}, identifiers=((MRN, "RR-0001"),), birth_date="1971-02-03")
    assert "birth date" in _reason(subject)


def test_a_name_alone_is_not_enough() -> None:
    assert "cannot be checked" in _reason(Subject({}, names=(("Zamorano", ("Alicia",)),)))


def test_an_identifier_of_another_system_is_not_enough() -> None:
    assert "cannot be checked" in _reason(Subject({}, identifiers=(("urn:oid:1.2.3", "RR-0001"),)))


def test_the_same_birth_date_with_another_name_is_someone_else() -> None:
    subject = Subject({}, names=(("Vandersloot", ("Charlotte",)),), birth_date="1990-05-17")
    assert "name is not this patient's" in _reason(subject)
