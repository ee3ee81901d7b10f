"""Review 22s: what the fixes of its holes must keep. A real place of care, a real clinician's reason and the
nature of a real emergency, in English and in Spanish, keep passing (an emergency refused is care delayed);
and a recipient inside a jail stays refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import override_settings

from keel.core.reasons import reason_problem
from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency

REAL_REASONS = (
    "Patient unconscious in ED, needs methadone dose confirmed",
    "Paciente inconsciente en urgencias, confirmar dosis de metadona",
    "Overdose reversed with naloxone; ED physician needs current buprenorphine dose",
    "Dose held yesterday for sedation, reassessed today: alert, no intoxication",
    "Dosis retenida ayer por sedación; hoy alerta, sin signos de intoxicación",
    "Police brought the patient to the ED after an overdose; confirm the current dose",
    "Policía trajo al paciente a urgencias tras una sobredosis; confirmar dosis actual",
    "Family reports seizure at home, ambulance en route, methadone dose needed",
    "Paciente con convulsiones, ambulancia en camino; después de estabilizar, confirmar dosis",
    "overdose at the window",
    "unresponsive in the lobby",
    "no pulse, not breathing, naloxone given",
    "Vomited the dose at 9; full note to be documented later",
    "Dolor torácico, paciente inestable",
    "Sedated at the window, dose held; prescriber reassessed",
)


def _errors(affiliation: str, recipient: str = "Dr. Ana Ortiz", nature: str = REAL_REASONS[0]) -> list[str]:
    raw: dict[str, Any] = {
        "recipient_name": recipient,
        "recipient_role": "physician",
        "recipient_affiliation": affiliation,
        "nature": nature,
        "categories": ["enrollment", "medication"],
    }
    try:
        parse_emergency(raw)
    except InvalidInput as exc:
        return [e.field for e in exc.errors]
    return []


@pytest.mark.parametrize("text", REAL_REASONS)
def test_a_real_clinicians_reason_passes(text: str) -> None:
    assert reason_problem(text) == ""


@pytest.mark.parametrize("nature", REAL_REASONS)
def test_the_nature_of_a_real_emergency_passes(nature: str) -> None:
    assert _errors("Mercy Hospital", nature=nature) == []


@pytest.mark.parametrize(
    "affiliation",
    [
        "Clínica del Seguro Social",
        "Hospital General de Zona 1, Instituto Mexicano del Seguro Social",
        "Policlínica San José",
        "Policlínico Central",
        "Clínica del Instituto Politécnico Nacional",
        "Mercy Hospital ED",
        "County EMS",
        "Centro de Salud Norte",
        "St. Mary's Medical Center",
        "Poison Control Center",
        "Politzer Family Medicine",
        "Polk County Hospital",
        "Courtney Medical Clinic",
        "Insurgentes Medical Center",
    ],
)
def test_a_real_place_of_care_passes(affiliation: str) -> None:
    """Social security clinics ("seguro social" runs clinics and hospitals across Latin America), a
    "policlínica" (a clinic of many specialties), a polytechnic's clinic, and names that only begin like a
    refused stem ("Polk", "Courtney", "Insurgentes": a word's stem is matched, never any prefix)."""
    assert _errors(affiliation) == []


@pytest.mark.parametrize("recipient", ["Dr. Paula Policarpo", "Dra. Ana Courtois", "Nurse Pat Jailani"])
def test_a_person_whose_name_begins_like_a_refused_word_passes(recipient: str) -> None:
    assert _errors("Mercy Hospital", recipient=recipient) == []


@pytest.mark.parametrize(
    "affiliation",
    ["Correctional Health Services", "County Jail Clinic", "Servicios Médicos del Reclusorio Norte"],
)
def test_medical_care_inside_a_jail_is_refused_as_an_emergency_recipient(affiliation: str) -> None:
    """Decided (review 22s): a jail's or prison's medical unit is refused as a section 2.51 recipient,
    though its staff give medical care. Keel cannot tell from a typed name whether a recipient inside a jail
    is medical personnel kept apart from custody; Part 2 sends records to the criminal justice system only
    under a consent (2.31, 2.35); and in a real emergency the disclosure goes to the hospital or emergency
    service the person is taken to, which this form accepts."""
    assert "recipient_affiliation" in _errors(affiliation)


@pytest.mark.parametrize(
    "affiliation",
    [
        "Sheriff's Office Clinic",
        "Probation Dept Nurse",
        "Immigration (ICE) Medical",
        "Policía Federal, Servicio Médico",
        "Aseguradora Médica del Norte",
    ],
)
def test_a_non_medical_recipient_next_to_a_care_word_stays_refused(affiliation: str) -> None:
    assert "recipient_affiliation" in _errors(affiliation)


@pytest.mark.parametrize("nature", ["TBD", "n/a n/a n/a", "TBD TBD TBD TBD", "pendiente"])
def test_a_placeholder_alone_stays_refused(nature: str) -> None:
    assert "nature" in _errors("Mercy Hospital", nature=nature)


def _csrf_line(caplog: pytest.LogCaptureFixture, refused: str) -> str:
    reason = f"Origin checking failed - {refused} does not match any trusted origins."
    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        logging.getLogger("django.security.csrf").warning("Forbidden (%s): %s", reason, "/accounts/login/")
    return caplog.records[-1].getMessage()


@pytest.mark.parametrize(
    ("refused", "kept"),
    [
        ("http://keel.clinic.example", "http://keel.clinic.example"),  # the deployment's host, wrong scheme
        ("https://KEEL.clinic.example:8443", "https://keel.clinic.example:8443"),  # another port
        ("https://maria.sites.clinic.example", "https://*.sites.clinic.example"),  # under a trusted domain
        ("https://maria-gonzalez.hiv-positive.example", "https://*.*.*"),
        ("https://[2001:db8::1]:8000", "https://[*]:8000"),
        ("https://192.0.2.7", "https://*.*.*.*"),
    ],
)
@override_settings(
    ALLOWED_HOSTS=["keel.clinic.example", "testserver"],
    CSRF_TRUSTED_ORIGINS=["https://*.sites.clinic.example"],
)
def test_a_csrf_refusal_keeps_a_host_the_deployment_names_and_the_shape_of_any_other(
    caplog: pytest.LogCaptureFixture, refused: str, kept: str
) -> None:
    """The CSRF refusal's log line (review 22s hole 4): an origin the deployment names stays readable, so an
    operator can tell a wrong scheme or port; any other host is only its shape."""
    assert f"Origin checking failed - {kept} does not match" in _csrf_line(caplog, refused)
