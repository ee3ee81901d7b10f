"""Digits as a form, a URL or a header carries them: 0-9 only.

`str.isdigit` is true for "²", "٣" and other Unicode digits. Some of them `int()` reads ("٣" is 3: a number
typed in another script), and some it cannot ("²": ValueError, a server error where the caller had checked
first). Keel reads a whole number from text only when it is ASCII digits; anything else is passed on as text
so that the check that follows names it, or is read as no number at all.
"""

from __future__ import annotations

__all__ = ["ascii_digits"]


def ascii_digits(text: str) -> bool:
    """True for a non-empty run of 0-9 ("12", "007"); False for "", "²", "٣", "1.5", "-1", " 1".

    The one test of "a number typed in digits": never `str.isdigit` alone before `int`."""
    return text.isascii() and text.isdigit()
