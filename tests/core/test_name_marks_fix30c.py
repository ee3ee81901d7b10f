"""Lane fix30c (review 30c H1, H3): `keel.core.names.person_name_key` folds a combining mark only where it
sits on a Latin letter (accents: review 29b); a mark that makes another letter of another script is kept
(as `name_words` keeps it, review 21z); a name with no letter names no one and matches no name."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest

from keel.core import sharing
from keel.core.names import names_a_person, person_name_key, same_person_name
from keel.core.rules.inputs import InvalidInput


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("María Núñez", "Maria Nunez"),
        ("JOSÉ PEÑA", "jose pena"),
        ("Ngô Bảo Châu", "Ngo Bao Chau"),  # stacked marks on Latin letters
        ("François Müller-Ørsted", "francois muller ørsted"),
        ("Zoë O\u2019Brien", "zoe obrien"),
    ],
)
def test_the_accents_of_latin_letters_fold(typed: str, recorded: str) -> None:
    assert person_name_key(typed) == person_name_key(recorded)
    assert same_person_name(typed, recorded)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ハナコ ヤマダ", "ハナコ ヤマタ"),  # kana dakuten: da is not ta
        ("パク", "ハク"),  # kana handakuten: pa is not ha
        ("Андрей", "Андреи"),  # Cyrillic й is not и
        ("Пётр", "Петр"),  # Cyrillic ё
        ("สมชาย", "ส่มชาย"),  # a Thai tone mark
        ("अर्जुन", "अरजुन"),  # the Devanagari virama
        ("דָּוִד", "דוד"),  # Hebrew points
    ],
)
def test_a_mark_that_makes_another_letter_is_kept(one: str, other: str) -> None:
    assert person_name_key(one) != person_name_key(other)
    assert not same_person_name(one, other)


@pytest.mark.parametrize("name", ["ハナコ ヤマダ", "Андрей Йоханов", "María Núñez", "अर्जुन", "Nguyễn Thị"])
def test_nfc_and_nfd_input_read_the_same(name: str) -> None:
    nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
    assert person_name_key(nfc) == person_name_key(nfd)
    assert same_person_name(nfd, nfc)


def test_half_width_kana_read_as_full_width() -> None:
    assert person_name_key("ﾔﾏﾀﾞ") == person_name_key("ヤマダ")


@pytest.mark.parametrize("name", ["--", "''", "\u2014 \u2019", "★★", "12", "", "\u0301\u0301"])
def test_a_name_with_no_letter_names_no_one(name: str) -> None:
    assert not names_a_person(name)
    assert not same_person_name(name, name)


def test_two_empty_folds_never_match() -> None:
    assert person_name_key("--") == person_name_key("''") == ""
    assert not same_person_name("--", "''")
    assert same_person_name("Ana", "ana")


def _consent_fields(patient_name: str, born: date | None = None, **changes: object) -> dict[str, str]:
    today = date.today()
    raw: dict[str, object] = {
        "recipient_name": "Valley Clinic",
        "purpose": "treatment",
        "categories": ["medication"],
        "expires_on": (today + timedelta(days=90)).isoformat(),
        "signature": patient_name,
        "understood": True,
        **changes,
    }
    with pytest.raises(InvalidInput) as info:
        sharing.parse_consent(raw, patient_name=patient_name, today=today, date_of_birth=born)
    return {e.field: e.reason for e in info.value.errors}


def test_a_signature_with_another_kana_letter_is_refused() -> None:
    said = _consent_fields("ハナコ ヤマダ", signature="ハナコ ヤマタ")
    assert said == {"signature": "type your full name as it appears on your record"}


@pytest.mark.parametrize("typed", ["''", "--", "★★"])
def test_a_signature_or_a_representative_with_no_letter_is_refused(typed: str) -> None:
    assert _consent_fields("Ana Ruiz", signature=typed) == {"signature": sharing.NAMES_NO_ONE}
    representative = {
        "signer": "representative",
        "representative_name": typed,
        "representative_relationship": "guardian",
        "representative_authority": "Letters of guardianship, county probate court",
        "signature": typed,
    }
    assert _consent_fields("Ana Ruiz", **representative) == {
        "representative_name": sharing.NAMES_NO_ONE,
        "signature": sharing.NAMES_NO_ONE,
    }


def test_a_minor_signing_with_no_letter_is_refused() -> None:
    born = date.today() - timedelta(days=365 * 15)
    minor = {
        "signer": "representative",
        "representative_name": "Rosa Ruiz",
        "representative_relationship": "parent",
        "representative_authority": "Mother, birth certificate on file",
        "signature": "Rosa Ruiz",
        "patient_signature": "--",
    }
    assert _consent_fields("Ana Ruiz", born, **minor) == {"patient_signature": sharing.NAMES_NO_ONE}
