"""Every shipped instrument has a name on clinical screens and words for each of its bands (issue #17: a new
instrument built by the guide's steps showed "No band: see the result" on every page, and no test said so)."""

from __future__ import annotations

import pytest

from keel.assessments.meaning import MEANING, NAMES, band_name
from keel.core.instruments import interpretation, registry

SHIPPED_BANDS = [(code, band.code) for code, bands in interpretation.BANDS.items() for band in bands]


def test_every_shipped_instrument_names_its_bands():
    assert set(registry.codes()) == set(interpretation.BANDS)


@pytest.mark.parametrize("code", registry.codes())
def test_every_shipped_instrument_has_a_name(code):
    assert code in NAMES


@pytest.mark.parametrize(("code", "band"), SHIPPED_BANDS)
def test_every_band_has_words(code, band):
    assert (code, band) in MEANING


@pytest.mark.parametrize(("code", "band"), SHIPPED_BANDS)
def test_no_band_is_shown_as_no_band(code, band):
    assert band_name(code, band) != "No band: see the result"
