"""keel.core.text.visible_length: what a reader sees of a typed reason (review 19b)."""

from __future__ import annotations

import pytest

from keel.core.text import visible_length


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("found unresponsive", 18),
        ("\u200b" * 12, 0),  # zero-width space
        ("\u200d" * 12, 0),  # zero-width joiner
        ("\u200c" * 12, 0),  # zero-width non-joiner
        ("\ufeff" * 12, 0),  # byte order mark
        (
            "\u200e\u200f\u202a\u202b\u202e\u2066\u2069" * 2,
            0,
        ),  # left-to-right, right-to-left marks, embeddings
        ("\u00a0" * 12, 0),  # no-break space
        ("\u2003\u3000\u202f\u205f" * 3, 0),  # other spaces
        ("\u2028\u2029" * 6, 0),  # line and paragraph separators
        ("\x00\x07\t\n\x7f" * 3, 0),  # controls
        ("\u0301" * 12, 0),  # combining marks with nothing under them
        ("\u20dd\u0903" * 6, 0),  # enclosing and spacing combining marks
        ("\u3164\u115f\u1160\uffa0\u2800" * 3, 0),  # letters and a symbol drawn blank
        ("e\u0301", 1),  # an accent typed as a combining mark adds nothing
        ("é", 1),
        ("a\u00a0b", 3),  # a no-break space between words is a space
        ("a \u00a0\u200b\n b", 3),  # a run of spaces between words counts once
        ("  a  ", 1),  # spaces at the ends count nothing
        ("\u200b \u200b a \u200b", 1),
        ("a\u200bb", 2),
        ("👍", 1),  # an emoji counts as visible
        ("👍🏽", 2),  # a skin-tone modifier is a symbol of its own
        ("\U0001f469\u200d\u2695\ufe0f", 2),  # a joined emoji: its two symbols, the joiner and selector not
        ("درد شدید", 8),  # right-to-left letters count
        ("急救", 2),
    ],
)
def test_visible_length(text: str, seen: int) -> None:
    assert visible_length(text) == seen


@pytest.mark.parametrize("value", [None, 12, b"abcdefghijkl", ["a" * 12]])
def test_what_is_not_text_shows_nothing(value: object) -> None:
    assert visible_length(value) == 0


INVISIBLE = "\u200b\u200d\ufeff\u200f\u00a0\u0301" * 5


def test_a_reason_of_substance_made_of_invisible_characters_is_none() -> None:
    from keel.core.reasons import reason_problem

    assert reason_problem(INVISIBLE) == "write the clinical reason (required)"


def test_a_short_reason_padded_with_invisible_characters_is_too_short() -> None:
    from keel.core.reasons import reason_problem

    assert reason_problem("gave dose ok" + "\u200b" * 10) != ""


def test_a_reason_of_substance_still_passes() -> None:
    from keel.core.reasons import reason_problem

    assert reason_problem("patient alert, pupils normal, no sedation") == ""


def test_a_desk_reset_reason_of_invisible_characters_is_refused() -> None:
    from keel.core.desk import parse_second_factor_reset
    from keel.core.rules.inputs import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        parse_second_factor_reset({"reason": "\u200b" * 12, "identity_checked": "on"})
    assert [e.field for e in refused.value.errors] == ["reason"]


def test_an_other_purpose_of_invisible_characters_is_refused() -> None:
    from keel.core.rules.inputs import FieldError
    from keel.core.sharing import _purpose

    errors: list[FieldError] = []
    _purpose({"purpose": "other", "purpose_text": "\u200b" * 12}, errors)
    assert [e.field for e in errors] == ["purpose_text"]


def test_blank_musical_noteheads_count_as_nothing() -> None:
    assert visible_length("\U0001d159" * 12) == 0


def test_unassigned_code_points_count_as_nothing() -> None:
    assert visible_length("\U000e0080" * 12) == 0


def test_private_use_code_points_count_as_nothing() -> None:
    assert visible_length("\ue000\U000f0000" * 6) == 0


def test_a_lone_surrogate_counts_as_nothing() -> None:
    assert visible_length("\ud800" * 12) == 0


def test_a_word_beside_unassigned_code_points_counts_only_its_letters() -> None:
    assert visible_length("overdose\U000e0080\U000e0081") == 8
