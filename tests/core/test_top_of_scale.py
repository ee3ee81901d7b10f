"""The top of an instrument's chart comes from the core (its bands, else its items), not from a view."""

from __future__ import annotations

import pytest

from keel.core.instruments import registry
from keel.core.instruments.interpretation import top_of_scale

# What the trend chart's scale was before it moved into the core (a table in assessments/views.py).
WAS = {"cows": 48, "phq9": 27, "gad7": 21, "sows": 64, "dsm5-oud": 11, "ort": 26}


@pytest.mark.parametrize(("code", "top"), sorted(WAS.items()))
def test_each_scale_keeps_its_top(code: str, top: int) -> None:
    assert top_of_scale(registry.get(code, "en")) == top


def test_the_suicide_screen_tops_at_its_highest_level() -> None:
    assert top_of_scale(registry.get("cssrs-screen", "en")) == 3


def test_ort_reaches_past_its_items_plain_sum() -> None:
    ort = registry.get("ort", "en")
    assert top_of_scale(ort) > ort.total_range[1]
