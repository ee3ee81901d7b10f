"""Lane fix33d (review 33c hole 5): an amount is plain decimal digits (`plain_decimal`), never Python's number
syntax; a decimal comma is told apart (`decimal_comma`) so the reader is told to use a point."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keel.core.digits import decimal_comma, plain_decimal


@pytest.mark.parametrize(
    ("text", "mg"),
    [
        ("30", "30"),
        ("30.5", "30.5"),
        ("030", "30"),
        ("30.", "30"),
        (".5", "0.5"),
        (" 30 ", "30"),
        ("+30", "30"),
        ("\uff13\uff10", "30"),
        ("\uff13\uff10\uff0e\uff15", "30.5"),
    ],
)
def test_plain_digits_are_read(text: str, mg: str) -> None:
    assert plain_decimal(text) == Decimal(mg)


def test_a_sign_is_read_so_the_range_check_names_it() -> None:
    assert plain_decimal("-5") == Decimal(-5)


@pytest.mark.parametrize(
    "text",
    [
        "1_00",
        "3_0",
        "3e1",
        "3E1",
        "٣٠",
        "३०",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "",
        " ",
        ".",
        "1.2.3",
        "30 5",
        "0x1e",
        "30mg",
        "30,5",
        "1,000",
        "²",
    ],
)
def test_anything_else_is_not_an_amount(text: str) -> None:
    assert plain_decimal(text) is None


@pytest.mark.parametrize("text", ["30,5", ",5", " 7,25 "])
def test_a_decimal_comma_is_told_apart(text: str) -> None:
    assert decimal_comma(text)


@pytest.mark.parametrize("text", ["30", "1_00", "3e1", "30,5,1", "a,5"])
def test_other_text_is_no_decimal_comma(text: str) -> None:
    assert not decimal_comma(text)
