"""Review 22p: a medical emergency's recipient (42 CFR 2.51: medical personnel only), checked by
`keel.core.sharing.parse_emergency` with `name_words`. Each test fails on the code as reviewed."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core.rules.inputs import InvalidInput
from keel.core.sharing import parse_emergency


def _emergency(affiliation: str, recipient: str = "Dr. Ana Ortiz") -> dict[str, Any]:
    return {
        "recipient_name": recipient,
        "recipient_role": "physician",
        "recipient_affiliation": affiliation,
        "nature": "found unresponsive after an overdose, needs current methadone dose",
        "categories": ["enrollment", "medication"],
    }


def _errors(raw: dict[str, Any]) -> list[str]:
    try:
        parse_emergency(raw)
    except InvalidInput as exc:
        return [e.field for e in exc.errors]
    return []


@pytest.mark.parametrize(
    "affiliation",
    [
        "County J\u0430il Clinic",  # Cyrillic a in "Jail"
        "P\u043elice Department EMS",  # Cyrillic o in "Police"
        "Sh\u0435riff\u2019s Office Infirmary",  # Cyrillic e in "Sheriff"
    ],
)
def test_lookalike_letter_makes_a_jail_or_police_a_place_of_care(affiliation: str) -> None:
    """The words that name no medical personnel are searched in `name_words`, which keeps a Cyrillic letter
    as it is: one look-alike letter in "Jail" or "Police" and a care word after it ("Clinic", "EMS") and a
    Part 2 record leaves to a jail or the police as a medical emergency. Reason fields refuse mixed
    alphabets; a recipient does not."""
    assert "recipient_affiliation" in _errors(_emergency(affiliation))


@pytest.mark.parametrize(
    "affiliation",
    ["Policía Municipal, enlace hospital", "Cárcel del Condado, hospital", "Juzgado de Familia, EMS"],
)
def test_spanish_police_jail_or_court_is_not_medical_personnel(affiliation: str) -> None:
    """The same recipients in English ("Municipal Police, hospital liaison", "County Jail, hospital", "Family
    Court, EMS") are refused; in Spanish, a language Keel speaks, the word list knows none of them."""
    english = {
        "Policía Municipal, enlace hospital": "Municipal Police, hospital liaison",
        "Cárcel del Condado, hospital": "County Jail, hospital",
        "Juzgado de Familia, EMS": "Family Court, EMS",
    }[affiliation]
    assert "recipient_affiliation" in _errors(_emergency(english))  # held in English
    assert "recipient_affiliation" in _errors(_emergency(affiliation))


@pytest.mark.parametrize(
    "affiliation", ["Clínica San Rafael", "Centro de Salud Norte", "Servicio de Urgencias"]
)
def test_spanish_place_of_care_is_medical(affiliation: str) -> None:
    """A Spanish clinic or health centre ("Clínica", "Centro de Salud", "Servicio de Urgencias") names no
    word of the English care list, so a real emergency disclosure to it is refused ("name the place of
    care"). Keel speaks Spanish; its emergency must not refuse a Spanish hospital's emergency room."""
    assert _errors(_emergency(affiliation)) == []


@pytest.mark.parametrize(
    "affiliation", ["Ed Johnson Bail Bonds", "Ed Smith Law Office", "News Desk, Ed", "OTP Bank, loans"]
)
def test_a_short_care_word_makes_any_business_a_place_of_care(affiliation: str) -> None:
    """The positive test (`_CARE_SETTING`: a facility must name a place of care) counts "ed", "er" and
    "otp" (emergency department, emergency room, opioid treatment program) alone: a bail bondsman, a law
    office or a newspaper whose name holds the first name Ed, or a bank named OTP, is medical personnel for
    section 2.51."""
    assert "recipient_affiliation" in _errors(_emergency(affiliation))
