"""Review 23s (a health-privacy officer with a penetration tester): holes in today's privacy fixes.

Each test fails while its hole is open; its docstring is the harm. Ordinary input only: what a clinician, a
front-desk worker or a staff member cutting corners types, in English or Spanish. No database is touched.
"""

from __future__ import annotations

import logging

import pytest

from keel.core.desk import parse_second_factor_reset
from keel.core.reasons import reason_problem
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.core.sharing import parse_emergency
from keel.treatment.services.common import _reason
from keel.web.logs import scrub_paths

_NATURE = "Patient unconscious in ED, needs methadone dose confirmed"


def _emergency(affiliation: str, nature: str = _NATURE) -> list[tuple[str, str]]:
    """The fields `parse_emergency` refuses ([] when the disclosure is allowed)."""
    try:
        parse_emergency(
            {
                "recipient_name": "Dr. Ana Ruiz",
                "recipient_role": "physician",
                "recipient_affiliation": affiliation,
                "nature": nature,
                "categories": ["medication"],
            }
        )
    except InvalidInput as exc:
        return [(e.field, str(e.reason)) for e in exc.errors]
    return []


@pytest.mark.parametrize(
    "hospital",
    [
        "Temple University Hospital",  # Philadelphia: the hospital Kensington's overdoses are taken to
        "University Medical Center of El Paso",
        "Hospital Universitario de la Universidad Autónoma de Nuevo León",  # Monterrey
    ],
)
def test_hole1_a_university_hospital_is_refused_as_not_medical(hospital: str) -> None:
    """Harm: "university" is a non-medical word, so every university hospital (the US's academic medical
    centres, Mexico's "Hospital Universitario de la Universidad ...") is refused as "not medical personnel".
    The clinician cannot record the section 2.51 disclosure to the ED the person was actually taken to: the
    guard stops real care (or pushes staff to misname the hospital in the record)."""
    assert _emergency(hospital) == []


@pytest.mark.parametrize(
    "insurer",
    [
        "Molina Healthcare",  # a Medicaid managed-care insurer
        "Humana Health Plan",
        "Triple-S Salud",  # Puerto Rico's largest health insurer
        "MAPFRE Salud",  # an insurer in Mexico and Puerto Rico
        "Plan de Salud del Gobierno",  # Puerto Rico's government health plan (an insurer)
    ],
)
def test_hole2_an_insurer_named_with_a_care_word_passes(insurer: str) -> None:
    """Harm: an insurer or health plan whose name holds "health", "healthcare" or "salud" passes as a place of
    care, so a front-desk worker can send the person's OUD medicine and dose to their insurer under "medical
    emergency" (42 CFR 2.51 allows medical personnel only; an insurer needs the patient's consent). Insurers
    are on the non-medical list, but only by the words "insurance", "insurer", "seguros", "aseguradora"."""
    assert ("recipient_affiliation", "a medical emergency allows disclosure only to medical personnel") in (
        _emergency(insurer)
    )


@pytest.mark.parametrize(
    "custody",
    [
        "ICE Health Service Corps",  # immigration detention's medical unit
        "Servicio Médico del CERESO",  # Mexico: Centro de Reinserción Social, a state prison
        "Centro Federal de Reinserción Social, servicio médico",  # Mexico's federal prisons (CEFERESO)
        "Departamento de Corrección, Servicios Médicos",  # Puerto Rico's prison system
        "Juvenile Hall Infirmary",
        "Servicios Médicos de Seguridad Pública",  # Mexico's police
    ],
)
def test_hole3_custody_and_police_medical_units_pass_by_their_other_names(custody: str) -> None:
    """Harm: the rule (sharing.py) is that a jail's, prison's or police force's own medical unit is refused
    ("Correctional Health Services" is), since Part 2 lets records reach the criminal-justice system only
    under a consent (2.31, 2.35). The same units under their ordinary names pass: ICE's detention medical
    corps, Mexico's prisons by their current name (CERESO, "Reinserción Social"; only the old "readaptación"
    is listed), Puerto Rico's "Departamento de Corrección" (only "correccional" is listed), "juvenile hall",
    Mexico's police ("Seguridad Pública"). The person's OUD treatment reaches custody without consent."""
    assert ("recipient_affiliation", "a medical emergency allows disclosure only to medical personnel") in (
        _emergency(custody)
    )


@pytest.mark.parametrize(
    "placeholder",
    [
        "testing the system",
        "prueba del sistema",
        "blah blah yada yada etc",
        "abc def ghi jkl mno",
        "foo bar baz qux quux",
    ],
)
def test_hole4_placeholders_pass_as_a_reason_of_substance(placeholder: str) -> None:
    """Harm: a staff member cutting corners opens a record by break-the-glass, overrides a dose check or
    records an emergency disclosure's nature with a placeholder: "testing", "prueba", "blah ... yada",
    the alphabet run "abc def ghi", "foo bar baz". The docstring's rule says placeholders do not count, but
    only "lorem ipsum", "TBD", "n/a" and keyboard runs are listed; these pass as the reason the audit keeps
    (42 CFR 2.51's record of the emergency's nature; HIPAA accountability of the access)."""
    assert reason_problem(placeholder) != ""


@pytest.mark.parametrize(
    "deferral",
    [
        "will write it up tomorrow",
        "lo documento mañana",
        "same as last time",
        "igual que la vez anterior",
        "see previous entry above",
    ],
)
def test_hole5_deferrals_and_see_above_pass_as_a_reason(deferral: str) -> None:
    """Harm: the rule is that a reason is made now, not deferred ("will document later" is refused). The same
    deferral with "tomorrow"/"mañana", "lo documento" (only "documentar", "documentado"... are listed), or a
    pointer elsewhere ("same as last time", "see previous entry above") passes: the record of a
    break-the-glass or an emergency disclosure says nothing, and nothing forces it to be written later."""
    assert reason_problem(deferral) != ""


@pytest.mark.parametrize(
    "nature",
    ["Opioid overdose", "Fentanyl overdose", "Sobredosis, inconsciente", "Overdose, unresponsive"],
)
def test_hole6_a_terse_real_emergency_nature_is_refused(nature: str) -> None:
    """Harm: the nature of the emergency as a busy ED clinician writes it ("Opioid overdose", "Sobredosis,
    inconsciente") is refused for having two words, while "Sobredosis de opioides" passes only because "de"
    fills the third word. In an overdose the disclosure of the person's methadone or buprenorphine dose is
    delayed while the clinician pads the sentence: the guard stops real care and teaches filler."""
    assert reason_problem(nature) == ""
    assert _emergency("Temple Hospital Emergency Department", nature=nature) == []


@pytest.mark.parametrize("reason", ["xxx", "asdf", "n/a", "TBD", "later"])
def test_hole7_the_desk_second_factor_reset_takes_no_reason_of_substance(reason: str) -> None:
    """Harm: the reasons Keel asks are not all one check. Removing a patient's second factor at the front
    desk (an account takeover if the caller is not the patient: every session ends and the account is then
    guarded by the password alone) takes any three visible characters as its reason ("xxx", "asdf", "TBD"),
    while the operator's reset, break-the-glass and overrides use `reason_problem`. The record of why the
    patient's account protection was removed says nothing."""
    with pytest.raises(InvalidInput):
        parse_second_factor_reset({"reason": reason, "identity_checked": True})


@pytest.mark.parametrize(
    "origin", ["maria-gonzalez-oud://app.example", "maria.gonzalez+methadone://app.example/intake"]
)
def test_hole8_a_refused_origins_scheme_reaches_the_csrf_log_line_as_typed(origin: str) -> None:
    """Harm: the CSRF refusal line keeps a refused Origin's host only when the deployment names it (review
    22s), but keeps its scheme as the client wrote it: any letters, digits, "+", "." and "-" before "://".
    Whoever sends the request (an app's custom scheme, a script, a tester) chooses it like the host, so a
    name or a diagnosis ("maria-gonzalez-oud://") reaches the log, which is kept and shipped with less care
    than the record (SECURITY.md: no health information or name in a log line)."""
    record = logging.LogRecord(
        "django.security.csrf",
        logging.WARNING,
        __file__,
        0,
        "Forbidden (%s): %s",
        (f"Origin checking failed - {origin} does not match any trusted origins.", "/api/v1/patients"),
        None,
    )
    line = scrub_paths(record).getMessage().casefold()
    assert "maria" not in line and "gonzalez" not in line, line


@pytest.mark.parametrize("reason", ["x", "ok", "asdf", "TBD", "later"])
def test_hole9_a_dose_correction_takes_any_visible_character_as_its_reason(reason: str) -> None:
    """Harm: `reason_problem`'s docstring says it is "the one test of a typed reason of substance:
    overrides, corrections, break-the-glass...", but a recorded dose's correction or void
    (`doses/corrections.py`, through `treatment.services.common._reason`) checks only that one visible
    character was typed. A methadone dose voided (its take-home bottles taken back) or an amount changed on a
    controlled-substance record is kept with the reason "x", "TBD" or "later": no accountability for a
    change to the dispensing record (the audit's only why)."""
    errors: list[FieldError] = []
    _reason(reason, errors)
    assert errors, f"{reason!r} was taken as a dose correction's reason"
