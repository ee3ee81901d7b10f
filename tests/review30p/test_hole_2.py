"""Hole 2 (lane prop30, truth 1): a correction of a past dose to the amount it already stands at
tells the nurse a bottle was "handed out with this dose" for a past day whose bottle is on the clinic's shelf.

Day 0: the plan covers day 1 and day 2; day 0's 80 mg dose hands their bottles out. Day 1: day 0's dose is
voided (the bottles are taken back, the plan ends), day 1's bottle is recorded brought back and Alice is dosed
80 mg at the window with it returned. Day 2: day 0's dose is corrected back to 80 mg, then corrected to 80 mg
again: the second correction's words say "Take-home bottles handed out with this dose: <day 1> 80 mg." Day 1
is past, its bottle was brought back and she was dosed at the window that day: no plan covers it. What should
be said: nothing about handing out (the day-1 bottle stays on the shelf; `ON_SHELF` at most); a correction
that changes nothing says nothing of bottles."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import World
from tests.treatment.test_take_home_words_prop30 import play, start

__all__ = ["start"]


@pytest.mark.django_db
def test_correction_to_the_same_amount_hands_out_no_bottle_on_the_shelf(
    world: World, start: datetime
) -> None:
    steps = [
        ("plan", 1, 2),
        ("dose", "80"),
        ("next",),
        ("amend", 0, "void"),
        ("back", 0, 0),
        ("dose_back", "80"),
        ("next",),
        ("amend", 1, "80"),
        ("amend", 1, "80"),
    ]
    assert play(world, steps, start) == []
