"""Review 22p: a disclosure's recipient compared with the consent's (`keel.core.sharing.same_name`, the one
reading of a recipient: `mismatches`, a token's bound recipient). Each fails on the code as reviewed."""

from __future__ import annotations

import pytest

from keel.core.sharing import DisclosureRequest, mismatches, same_name


@pytest.mark.parametrize(
    ("consented", "asked"),
    [
        ("Centro de Salud N\u00ba 5", "Centro de Salud N\u00b0 5"),  # ordinal indicator / degree sign
        ("Centro de Salud N.\u00ba 5", "Centro de Salud N\u00ba 5"),  # the RAE's "N.º" / the common "Nº"
        ("Cl\u00ednica 2.\u00aa Avenida", "Cl\u00ednica 2\u00aa Avenida"),
    ],
)
def test_spanish_numero_written_two_usual_ways_is_one_recipient(consented: str, asked: str) -> None:
    """ "Nº", "N.º" and "N°" (the degree sign, drawn the same and typed for it on most keyboards) are how
    Spanish writes "number" in a clinic's name. NFKC makes "º" an "o", the degree sign no letter at all, and
    the point in "N.º" splits the word: the consented clinic is refused as "another recipient"."""
    assert same_name(consented, asked)


def test_spanish_enye_is_another_letter_not_an_accent() -> None:
    """Review 21z kept the marks that make another letter (Cyrillic й, kana voicing) but drops every mark
    on a Latin letter, and in Spanish "ñ" is a letter of its own: a consent to Dra. Ana Peña lets a record
    leave to Dra. Ana Pena, another person, as the consented recipient (section 2.31(a)(4))."""
    request = DisclosureRequest("Dra. Ana Pena", "treatment", "")
    assert [
        e.field
        for e in mismatches(
            request, recipient_name="Dra. Ana Pe\u00f1a", purpose="treatment", purpose_text=""
        )
    ] == ["recipient_name"]
