"""Review 26b: a Part 2 privacy officer with an emergency physician, on the emergency disclosure (42 CFR 2.51,
`keel.core.sharing.parse_emergency` and its structured `recipient_facility_kind`). Each test fails on the
code reviewed for the reason its docstring says (see HOLES.md)."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency

# A bona fide emergency sent to a bona fide ED: what every case below changes one field of.
GOOD: dict[str, Any] = {
    "recipient_name": "Dr. Ana Ruiz",
    "recipient_role": "physician",
    "recipient_affiliation": "Mercy Hospital",
    "recipient_facility_kind": "",
    "nature": "opioid overdose, unresponsive, naloxone given twice",
    "categories": ["medication"],
}


def _refused_fields(**changed: Any) -> set[str]:
    """The fields `parse_emergency` refuses for GOOD with `changed` ({} when it accepts the disclosure)."""
    try:
        parse_emergency({**GOOD, **changed})
    except InvalidInput as exc:
        return {e.field for e in exc.errors}
    return set()


def test_the_good_emergency_is_accepted() -> None:
    """Control: the baseline is a disclosure Keel accepts, so each refusal below is the changed field's."""
    assert _refused_fields() == set()


@pytest.mark.parametrize(
    ("affiliation", "kind"),
    [
        ("Customs and Border Protection", "ems"),
        ("Drug Enforcement Administration", "clinic"),
        ("USCIS", "clinic"),
        ("Department of Juvenile Justice", "clinic"),
        ("Pretrial Services Agency", "clinic"),
        ("Constable's Office, Precinct 4", "ems"),
        ("Department of Justice", "hospital"),
        ("Procuraduría General de Justicia", "clinic"),
        ("Centro de Internamiento para Adolescentes", "clinic"),
    ],
)
def test_h1_law_enforcement_custody_and_immigration_pass_by_choosing_a_kind(
    affiliation: str, kind: str
) -> None:
    """H1. What happens: a law-enforcement, custody or immigration agency whose name is not on the word list
    (CBP, DEA, USCIS, a juvenile justice department, pretrial services, a constable, the DOJ, Mexico's
    Procuraduría, a juvenile detention centre) is accepted once staff pick any kind of place of care; the
    record leaves to it as a 2.51 disclosure. What should: a non-medical recipient is refused whatever kind
    is chosen (the brief's promise); the kind is an answer to "what kind of place of care", not a key."""
    assert "recipient_affiliation" in _refused_fields(
        recipient_affiliation=affiliation, recipient_facility_kind=kind
    )


@pytest.mark.parametrize(
    ("affiliation", "kind"),
    [
        ("Adult Protective Services", "clinic"),
        ("Department of Human Services", "clinic"),
        ("DIF Municipal", "clinic"),
        ("Procuraduría de Protección de Niñas, Niños y Adolescentes", "clinic"),
    ],
)
def test_h2_welfare_agencies_pass_by_choosing_a_kind(affiliation: str, kind: str) -> None:
    """H2. What happens: adult protective services, a department of human services (child welfare in many
    states), Mexico's DIF and its child-protection Procuraduría are accepted with a chosen kind. What
    should: refused like "Child Protective Services" and "DCF" already are (review 25b named the class)."""
    assert "recipient_affiliation" in _refused_fields(
        recipient_affiliation=affiliation, recipient_facility_kind=kind
    )


@pytest.mark.parametrize(
    ("affiliation", "kind"),
    [
        ("Office of the Public Defender", "practice"),
        ("Legal Aid Society", "clinic"),
        ("State Bar of Texas", "practice"),
    ],
)
def test_h3_legal_offices_pass_by_choosing_a_kind(affiliation: str, kind: str) -> None:
    """H3. What happens: a public defender, legal aid, a bar association are accepted with a chosen kind
    ("practice" reads as a law practice to the person choosing). What should: refused like "law firm",
    "attorney" and "bufete"."""
    assert "recipient_affiliation" in _refused_fields(
        recipient_affiliation=affiliation, recipient_facility_kind=kind
    )


@pytest.mark.parametrize(
    ("affiliation", "kind"),
    [
        ("Florida Blue", "clinic"),
        ("UnitedHealth Group", "clinic"),
        ("Oscar Health", "clinic"),
    ],
)
def test_h4_insurers_pass_by_choosing_a_kind(affiliation: str, kind: str) -> None:
    """H4. What happens: insurers not on the list (a Blue plan by its brand, UnitedHealth by its group name,
    Oscar) are accepted with a chosen kind. What should: a payer is refused (review 23s: it needs a consent,
    2.31), whatever kind is chosen."""
    assert "recipient_affiliation" in _refused_fields(
        recipient_affiliation=affiliation, recipient_facility_kind=kind
    )


@pytest.mark.parametrize(
    ("affiliation", "kind"),
    [
        ("Acme Trucking Company", "practice"),
        ("Walmart Distribution Center", "clinic"),
        ("Lincoln High Nurse's Office", "clinic"),
        ("Guardería Infantil Arcoíris", "clinic"),
        ("Daily Herald Newspaper", "clinic"),
        ("Banco Azteca", "clinic"),
    ],
)
def test_h5_employers_schools_and_others_pass_by_choosing_a_kind(affiliation: str, kind: str) -> None:
    """H5. What happens: an employer, a school nurse's office at a high school not called "school", a
    daycare, a newspaper, a bank: each accepted once a kind is chosen. What should: the chosen kind never
    turns a name that says no place of care into one; a name with no care word and a non-care word of its
    own ("trucking", "newspaper", "bank", "guardería") is refused, or at least the kind must be backed by the
    name (the positive test the code's own comment calls "what closes the class")."""
    assert "recipient_affiliation" in _refused_fields(
        recipient_affiliation=affiliation, recipient_facility_kind=kind
    )


@pytest.mark.parametrize(
    "affiliation",
    [
        "Texas Department of Criminal Justice Hospital Galveston",
        "Enfermería del Centro de Internamiento para Adolescentes",
        "Travis County Pretrial Services Clinic",
        "Enfermería de la Secundaria Técnica 12",
    ],
)
def test_h6_a_care_word_in_a_custody_or_school_name_is_read_as_a_place_of_care(affiliation: str) -> None:
    """H6. What happens: a prison system's hospital, a juvenile detention centre's infirmary, pretrial
    services' clinic and a Spanish school nurse's room ("enfermería" of a "secundaria") are accepted with no
    kind asked: the care word makes the kind "read from the name". What should: refused, as the code's own
    rule says for a jail's or prison's medical unit (review 22s) and for a school; the care word does not
    outweigh the custodian or the school."""
    assert "recipient_affiliation" in _refused_fields(recipient_affiliation=affiliation)


@pytest.mark.parametrize(
    "name",
    [
        "Officer Smith",
        "Deputy Jones",
        "Warden Brown",
        "Sgt. Ramirez",
        "Bailiff Ortiz",
        "Agente Pérez",
        "Oficial Ramírez",
        "Custodio Hernández",
    ],
)
def test_h7_the_recipient_name_naming_a_police_or_custody_title_is_accepted(name: str) -> None:
    """H7. What happens: the person is named by a police, custody or court title ("Officer Smith", "Deputy
    Jones", "Warden Brown", "Agente Pérez", "Custodio Hernández") at Mercy Hospital with role physician, and
    is accepted. What should: refused in recipient_name like "Detective Jane Smith" and "Caseworker Jones"
    (review 25b): the officer guarding a patient in the ED is not medical personnel."""
    assert "recipient_name" in _refused_fields(recipient_name=name)


@pytest.mark.parametrize(
    "nature",
    [
        "court ordered records request",
        "employer drug test",
        "routine follow-up",
    ],
)
def test_h8_a_nature_that_names_no_emergency_is_accepted(nature: str) -> None:
    """H8. What happens: the nature of the emergency is judged only as a reason (not junk, not Keel's own
    words); "court ordered records request", "employer drug test" and "routine follow-up" are accepted as
    a bona fide medical emergency. What should: a nature naming a court, an employer (the non-medical words)
    is refused, and "routine" is no emergency; 2.51 is for a bona fide medical emergency only."""
    assert "nature" in _refused_fields(nature=nature)


@pytest.mark.parametrize(
    ("affiliation", "kind"),
    [
        ("Mercy Hospital", "otp"),
        ("Regional Poison Control Center", "practice"),
    ],
)
def test_h9_a_chosen_kind_that_contradicts_the_name_is_recorded_as_chosen(
    affiliation: str, kind: str
) -> None:
    """H9. What happens: a kind that contradicts the facility's own care word ("Mercy Hospital" as an opioid
    treatment program) is accepted and recorded as "chosen"; the patient's accounting then says the record
    went to an opioid treatment program. What should: a kind the name contradicts is refused (or the name's
    kind recorded), so the accounting is true.
    Superseded by the lead's revert of the structured kind (session 26): was `assert "recipient_facility_kind"
    in _refused_fields(recipient_affiliation=affiliation, recipient_facility_kind=kind)`."""
    assert "facility_kind" not in vars(
        parse_emergency({**GOOD, "recipient_affiliation": affiliation, "recipient_facility_kind": kind})
    )


@pytest.mark.parametrize(
    "affiliation",
    [
        "Mercy Hospital Security",
        "Mercy Hospital Billing Office",
        "Mercy Hospital Legal Department",
        "Mercy Hospital Risk Management",
        "Hospital General, Oficina Jurídica",
        "Hospital General, Seguridad",
    ],
)
def test_h10_a_hospitals_non_clinical_office_is_read_as_the_hospital(affiliation: str) -> None:
    """H10. What happens: a hospital's security, billing, legal or risk-management office (in English and
    Spanish) is accepted as "Hospital or emergency department (read from the name)". What should: an office
    of a hospital that gives no care is refused like "Mercy Hospital Human Resources" already is: 2.51 is for
    medical personnel, not for everyone on a hospital's payroll."""
    assert "recipient_affiliation" in _refused_fields(recipient_affiliation=affiliation)
