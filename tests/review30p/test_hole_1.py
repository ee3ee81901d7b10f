"""Hole 1 (lane prop30, truth 1): a void of a dose already corrected to 0 mg, after a prescriber ended the
plan, tells the nurse bottles were "handed out with this dose".

Yesterday's plan gives Alice bottles for tomorrow and the day after; today's 80 mg dose hands them out. The
nurse corrects that dose to 0 mg (the bottles are taken back, the plan ends: "nothing given"); the prescriber
then ends the plan from today; Alice is dosed 80 mg at the window again. The nurse voids the first dose (it
stood at 0 mg already): the correction's words say "Take-home bottles handed out with this dose: <tomorrow>
80 mg; <the day after> 80 mg." No plan covers those days (the prescriber ended it), and a dose at 0 mg
being voided hands nothing out. What should be said: nothing about handing out (the bottles taken back stay
taken back; at most the call-back words if they are at home)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import World
from tests.treatment.test_take_home_words_prop30 import play, start

__all__ = ["start"]


@pytest.mark.django_db
def test_void_of_a_zero_dose_after_a_prescribers_end_hands_nothing_out(world: World, start: datetime) -> None:
    steps = [
        ("plan", 1, 2),
        ("dose", "80"),
        ("amend", 0, "0"),
        ("end", 0, 0),
        ("dose", "80"),
        ("amend", 1, "void"),
    ]
    assert play(world, steps, start) == []
