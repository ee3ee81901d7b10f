"""Review 22p: typed reasons of substance (`keel.core.rules.window.reason_problem`), the one test behind
break-the-glass, overrides, corrections and an emergency disclosure's nature. Each test fails on the code as
reviewed and passes once its hole is closed."""

from __future__ import annotations

import pytest

from keel.core.reasons import reason_problem

# Letters drawn like Latin capitals but outside `core.text.skeleton`'s table and outside the scripts
# `mixed_script_words` watches (Latin, Cyrillic, Greek): Lisu TA, E, SA (U+A4D4, U+A4F0, U+A4E2), Cherokee I,
# GV, DU (U+13A2, U+13AC, U+13DA), and Latin's own small capital S (U+A731), drawn as a small "s".
_LISU_T, _LISU_E, _LISU_S = "\ua4d4", "\ua4f0", "\ua4e2"
_CHEROKEE_T, _CHEROKEE_E, _CHEROKEE_S = "\u13a2", "\u13ac", "\u13da"
_SMALL_CAPITAL_S = "\ua731"


@pytest.mark.parametrize(
    "text",
    [
        # reads "TEST TEST TEST TEST"
        f"TEST {_LISU_T}{_LISU_E}{_LISU_S}{_LISU_T} {_LISU_T}EST T{_LISU_E}ST",
        f"TEST {_CHEROKEE_T}EST T{_CHEROKEE_E}ST TE{_CHEROKEE_S}T",
        # reads "less less less less"
        f"less le{_SMALL_CAPITAL_S}s les{_SMALL_CAPITAL_S} le{_SMALL_CAPITAL_S}{_SMALL_CAPITAL_S}",
    ],
    ids=["lisu", "cherokee", "latin-small-capital-s"],
)
def test_lookalike_letters_outside_the_skeleton_table_make_one_word_many(text: str) -> None:
    """One word typed four times, each time with a letter that only looks like a Latin one, counts as four
    different words: a break-the-glass reason that reads "TEST TEST TEST TEST" opens a record."""
    assert reason_problem(text) != ""


@pytest.mark.parametrize("text", ["aaa bbb ccc ddd", "xxx yyy zzz www", "qq ww ee rr tt yy"])
def test_words_of_one_letter_repeated_are_no_reason(text: str) -> None:
    """Review 13g refused "xxxxxxxxxxxxxxx" and "a b c d e f g"; four words each of one letter repeated
    pass: three different "words" of two letters or more and four different letters."""
    assert reason_problem(text) != ""


@pytest.mark.parametrize(
    "text",
    [
        "say what you assessed and why, ok",
        "write the clinical reason, ok",
        "diga qué evaluó y por qué, ok",
    ],
)
def test_keel_hint_cut_with_one_word_added_is_no_reason(text: str) -> None:
    """Keel's own hint pasted back is no reason (whole, or cut: review 21y); cut and with one word of no
    substance added ("ok"), it passes as a reason of substance."""
    assert reason_problem(text) != ""


@pytest.mark.parametrize(
    "text",
    [
        "患者昏迷不醒需要立即查看美沙酮剂量记录",  # unconscious; need the methadone dose record at once
        "ผู้ป่วยหมดสติต้องตรวจสอบประวัติการใช้ยาด่วน",  # unconscious; check the medication history urgently
        "患者は意識がなく呼吸が浅いので服薬歴を至急確認する",  # unconscious, shallow breathing
    ],
    ids=["chinese", "thai", "japanese"],
)
def test_reason_in_a_language_written_without_spaces_passes(text: str) -> None:
    """A clinician who writes a reason of substance in a language written without spaces between words is
    refused: the whole sentence is one "word" (`words_of` splits only at non-letters), fewer than three. A
    break-the-glass in an emergency, or an emergency disclosure's nature, must not be refused for its
    language."""
    assert reason_problem(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "Emergency access to a record",  # the page's own title
        "Acceso de emergencia a un expediente",  # the same, in Spanish
        "For a medical emergency only",  # the page's own first words
        "emergency access, open the record",  # its title and its button
    ],
)
def test_break_the_glass_page_words_pasted_back_are_no_reason(text: str) -> None:
    """Review 21y made Keel's own sentences no reason, but only the hints and the flag note: the emergency
    access page's own title, lead and button ("Emergency access to a record", "For a medical emergency only",
    "Open the record"), pasted into its reason field, open a record outside the care team."""
    assert reason_problem(text) != ""


@pytest.mark.parametrize(
    "text",
    [
        "test t\u0323est te\u0323st tes\u0323t",  # a dot below one letter each time: "test ṭest tẹst teṣt"
        "urgent \u00fargent \u00f9rgent \u00fbrgent",  # one accent or another on its "u"
    ],
)
def test_one_word_with_a_mark_added_counts_as_another_word(text: str) -> None:
    """`skeleton` folds look-alike letters but keeps combining marks: one word typed four times, each with a
    small dot below a different letter (or another accent on one), is four different words of substance."""
    assert reason_problem(text) != ""


@pytest.mark.parametrize("text", ["1st 2nd 3rd 4th", "1st 2nd 3rd 4th 5th 6th"])
def test_ordinal_numbers_are_no_words_of_substance(text: str) -> None:
    """Digits separate words, so the suffixes of ordinal numbers ("st", "nd", "rd", "th") count as three or
    more different words of two letters: a list of ordinals is a reason of substance."""
    assert reason_problem(text) != ""
