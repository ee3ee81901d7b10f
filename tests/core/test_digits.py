"""`ascii_digits`: 0-9 only, so that "²" (str.isdigit, but int() fails: a server error) and "٣" (read by int()
as 3) never reach int() from a form, a URL or a header (review 16a)."""

from __future__ import annotations

import pathlib
import re

import pytest

from keel.core.digits import ascii_digits


@pytest.mark.parametrize("text", ["0", "7", "12", "007", "1234567890"])
def test_ascii_digits_are_digits(text: str) -> None:
    assert ascii_digits(text)
    assert int(text) >= 0


@pytest.mark.parametrize(
    "text", ["", "²", "٣", "1²", "\uff11", "-1", "+1", " 1", "1 ", "1.5", "x", "1_0", "½"]
)
def test_anything_else_is_not(text: str) -> None:
    assert not ascii_digits(text)


def test_no_str_isdigit_before_int_in_src() -> None:
    """Every `.isdigit()` in the source is `ascii_digits`, or beside `.isascii()` or `ascii_digits`."""
    src = pathlib.Path(__file__).resolve().parents[2] / "src" / "keel"
    found = []
    for path in src.rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.isdigit\(\)", line) and ".isascii()" not in line and "ascii_digits(" not in line:
                found.append(f"{path.relative_to(src)}:{n}")
    assert found == []
