"""Digits as a form, a URL or a header carries them: 0-9 only.

`str.isdigit` is true for "²", "٣" and other Unicode digits. Some of them `int()` reads ("٣" is 3: a number
typed in another script), and some it cannot ("²": ValueError, a server error where the caller had checked
first). Keel reads a whole number from text only when it is ASCII digits; anything else is passed on as text
so that the check that follows names it, or is read as no number at all.

An amount (a dose in mg) is read the same way (`plain_decimal`): ASCII digits with at most one decimal
point. `Decimal(text)` takes Python's own number syntax: "1_00" is 100, "3e1" is 30, "٣٠" is 30, "NaN" and
"Infinity" are numbers (review 33c hole 5: a dose no one typed). A decimal comma ("30,5") is refused with its
own words (`decimal_comma`), never read: "1,000" would be a thousand to one reader and one to another.
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = ["ascii_digits", "decimal_comma", "plain_decimal"]

# An optional sign (a range check after it names a negative amount), then digits with at most one point.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_COMMA_DECIMAL = re.compile(r"[+-]?[0-9]*,[0-9]+")
# Full-width digits and point (an East Asian keyboard's width of 0-9 and "."; review 13c: a full-width 30 is
# 30 mg) are those same characters: folded to ASCII. No other script's digits ("٣٠", "३०") are.
_FULL_WIDTH = str.maketrans({0xFF0E: ".", **{0xFF10 + n: str(n) for n in range(10)}})


def ascii_digits(text: str) -> bool:
    """True for a non-empty run of 0-9 ("12", "007"); False for "", "²", "٣", "1.5", "-1", " 1".

    The one test of "a number typed in digits": never `str.isdigit` alone before `int`."""
    return text.isascii() and text.isdigit()


def plain_decimal(text: str) -> Decimal | None:
    """The amount typed as plain decimal digits ("30", "30.5", "030", "30.", ".5", " 30 ": spaces around
    it are a form's; full-width digits are 0-9), else None ("1_00", "3e1", "٣٠", "NaN", "Infinity",
    "30,5", "", "1.2.3").

    The one reader of an amount from text (lane fix33d): never `Decimal(text)` alone."""
    stripped = text.strip().translate(_FULL_WIDTH)
    if not stripped.isascii() or _PLAIN_DECIMAL.fullmatch(stripped) is None:
        return None
    return Decimal(stripped)


def decimal_comma(text: str) -> bool:
    """True for an amount written with a decimal comma ("30,5", ",5"): refused with words telling to use a
    point (`plain_decimal` reads none)."""
    return _COMMA_DECIMAL.fullmatch(text.strip()) is not None
