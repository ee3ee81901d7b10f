"""Lane fac26 (review 25d holes 6 and 7): the receiving facility of a section 2.51 disclosure, by class. Real
places of care under their ordinary names pass (British spelling, fire departments, the Red Cross, health
systems); agencies that carry a care word are refused (licensing boards, benefits administrations,
immigration enforcement), in English and Spanish, whatever their spacing, case or punctuation."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency

NOT_MEDICAL = "a medical emergency allows disclosure only to medical personnel"


def _emergency(affiliation: str, **more: Any) -> dict[str, Any]:
    return {
        "recipient_name": "Dr. Ana Ortiz",
        "recipient_role": "physician",
        "recipient_affiliation": affiliation,
        "nature": "found unresponsive after an overdose, needs the current methadone dose",
        "categories": ["medication"],
        **more,
    }


def _errors(affiliation: str, **more: Any) -> dict[str, str]:
    try:
        parse_emergency(_emergency(affiliation, **more))
    except InvalidInput as exc:
        return {e.field: e.reason for e in exc.errors}
    return {}


PLACES_OF_CARE = {
    "centre": [
        "St Thomas' Medical Centre",
        "ST THOMAS'   MEDICAL   CENTRE",
        "Riverside Health Centre",
        "Leeds Trauma Centre",
        "National Poison Centre",
        "Camden Crisis Centre",
        "Queen Elizabeth Accident & Emergency",
        "Lambeth Opioid Treatment Programme",
        "medical-centre of the valley",
    ],
    "fire department": [
        "Springfield Fire Department",
        "Springfield Fire Dept.",
        "SPRINGFIELD  FIRE  DEPT",
        "Cypress Creek Fire District",
        "Orange County Fire Protection District",
        "Tualatin Valley Fire & Rescue",
        "Heroico Cuerpo de Bomberos de Guadalajara",
        "BOMBEROS de Tijuana",
    ],
    "red cross": [
        "Cruz Roja Mexicana",
        "CRUZ  ROJA, delegación Monterrey",
        "American Red Cross",
        "Red Crescent",
        "Cruz Verde Guadalajara",
    ],
    "health system": [
        "Mount Sinai Health System",
        "VA Healthcare System",
        "Baylor Health Care System",
        "Kaiser Permanente",
        "KAISER   PERMANENTE, Oakland",
        "Geisinger",
        "Sistema de Salud Menonita",
    ],
    "social security that runs care": [
        "Instituto Mexicano del Seguro Social",
        "IMSS",
        "Hospital General de Zona 1 IMSS",
        "Clínica ISSSTE",
        "Caja de Seguro Social",
        "Hospital de la Seguridad Social",
        "Clínica de la Seguridad Social",
        "Unidad de Medicina Familiar 7",
    ],
    "a board that is no licensing board": [
        "NHS Lothian Health Board, Royal Infirmary",
        "Mercy Hospital Pharmacy",
    ],
    "a word that only begins like ICE": [
        "Rice Memorial Hospital",
        "Iceland Hospital",
        "ICU, Mercy Hospital",
        "Alice Springs Clinic",
    ],
    "real emergency places": [
        "Mercy Hospital",
        "County General Emergency Department",
        "Valley Urgent Care",
        "County EMS",
        "Poison Control Center",
        "Clínica San Rafael",
        "Sala de Emergencias del Hospital Universitario",
        "Centro de Toxicología de Jalisco",
        "Ambulancias Municipales",
    ],
}


@pytest.mark.parametrize(
    "affiliation", [pytest.param(n, id=f"{c}: {n}") for c, names in PLACES_OF_CARE.items() for n in names]
)
def test_a_place_of_care_passes(affiliation: str) -> None:
    assert _errors(affiliation) == {}


AGENCIES = {
    "licensing board": [
        "State Pharmacy Board",
        "STATE   PHARMACY   BOARD",
        "Texas State Board of Pharmacy",
        "Board of Nursing, clinic",
        "Medical Board of California",
        "Texas Medical Board, hospital liaison",
        "Junta de Farmacia de Puerto Rico",
        "Junta de Enfermería de Puerto Rico",
        "Junta de Licenciamiento y Disciplina Médica, clínica",
        "COFEPRIS, farmacia",
    ],
    "benefits administration": [
        "Administración del Seguro Social",
        "Administracion del Seguro Social",
        "ADMINISTRACIÓN  DEL  SEGURO  SOCIAL, oficina de Ponce",
        "Oficina del Seguro Social",
        "Social Security Administration",
        "S.S.A. field office, clinic liaison",
        "Instituto Nacional de la Seguridad Social",
        "INSTITUTO NACIONAL DE LA SEGURIDAD SOCIAL",
        "Tesorería General de la Seguridad Social",
        "Social Security System",
        "Veterans Benefits Administration",
    ],
    "immigration enforcement": [
        "ICE Processing Center Clinic",
        "I.C.E. Health Clinic",
        "i c e clinic",
        "Ice Detention Infirmary",
        "Otay Mesa Processing Center, medical unit hospital",
        "Estación Migratoria Siglo XXI, enfermería",
        "Centro de Detención, Clínica",
        "Enforcement and Removal Operations Clinic",
    ],
    "insurers of a health system": [
        "Kaiser Foundation Health Plan",
        "Geisinger Health Plan",
    ],
    "a law office (a law firm's other name)": [
        "Ed Smith Law Office, clinic",
    ],
    "a fire office that runs no rescue": [
        "State Fire Marshal, fire department",
    ],
}


@pytest.mark.parametrize(
    "affiliation", [pytest.param(n, id=f"{c}: {n}") for c, names in AGENCIES.items() for n in names]
)
def test_an_agency_is_no_place_of_care(affiliation: str) -> None:
    assert _errors(affiliation).get("recipient_affiliation") == NOT_MEDICAL
