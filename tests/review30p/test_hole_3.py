"""Hole 3 (lane prop30, truth 3): a plan's end says the dose "was corrected to 0 mg and later back to 40 mg"
after that dose was voided.

Day 0: the plan covers day 1 and day 2; day 0's 80 mg dose hands their bottles out. Day 1: day 0's dose is
corrected to 0 mg (the plan ends), a dose is held (sedation), day 0's dose is corrected back to 40 mg (the
hold keeps the plan ended: `CORRECTED_BACK_AT_HOME`, "later back to 40 mg"), then voided. The end reason the
medication page shows still says "... corrected to 0 mg and later back to 40 mg. Call the person back", while
day 0 stands at 0 mg (voided). What should be said: the end words follow the last correction (the dose of day
0 was voided: `VOIDED_NOT_HANDED_OUT`-like words, or call-back words that do not claim a standing 40 mg)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import World
from tests.treatment.test_take_home_words_prop30 import play, start

__all__ = ["start"]


@pytest.mark.django_db
def test_end_words_follow_a_void_after_a_correction_back_up(world: World, start: datetime) -> None:
    steps = [
        ("plan", 1, 2),
        ("dose", "80"),
        ("next",),
        ("amend", 0, "0"),
        ("hold",),
        ("amend", 1, "40"),
        ("amend", 1, "void"),
    ]
    assert play(world, steps, start) == []
