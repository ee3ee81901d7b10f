"""The two end reasons lane fix28b added (a plan ended before a day dosed at the window; a same-day end
while a bottle is on the shelf) read back in the reader's words, in English and Spanish,
with no ISO day in them."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation

from keel.treatment import end_words
from keel.treatment.services.doses import bottles

ISO = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")
STORED = [
    bottles.WINDOW_DOSED_END.format(days="2026-12-06, 2026-12-07", day="2026-12-06"),
    bottles.ON_SHELF_END.format(days="2026-12-06", day="2026-12-05"),
]


@pytest.mark.parametrize("stored", STORED)
def test_the_window_wrote_it(stored: str) -> None:
    assert end_words._said(stored, date(2026, 12, 5), frozenset())[1] is True


@pytest.mark.parametrize("stored", STORED)
@pytest.mark.parametrize("language", ["en", "es"])
def test_no_iso_day_is_read(stored: str, language: str) -> None:
    with translation.override(language):
        said, _window = end_words._said(stored, date(2026, 12, 5), frozenset())
    assert ISO.search(said) is None


@pytest.mark.parametrize("stored", STORED)
def test_spanish_says_it_in_spanish(stored: str) -> None:
    with translation.override("es"):
        said, _window = end_words._said(stored, date(2026, 12, 5), frozenset())
    assert "ventanilla" in said
