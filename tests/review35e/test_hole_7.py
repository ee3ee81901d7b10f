"""Hole 7: a silence that has ended still ranks her for a silence.

What the user did: Alicia checked in daily for a week, went quiet for four days (the nightly scan raised "No
check-in after a daily habit"), and checked in again this morning. The nurse opens the caseload.
What happened: she is ranked "this week" with "No check-in after a daily habit (open flag)" beside a check-in
of today (`days_since_checkin` 0): the list asks the nurse to chase a silence that is over, above people who
are silent now.
What should happen: a silence flag ranks a person only while she is still silent (the flag stays on her record
for the team to close; it is no signal once she has checked in after it).
"""

from __future__ import annotations

from typing import Any

import pytest

from keel.recovery.services.flags import scan_for_silence
from tests.review35e._setup import checkins, row_of

pytestmark = pytest.mark.django_db


def test_a_silence_that_ended_does_not_rank_her(world: Any) -> None:
    alice = world.alice
    checkins(alice, range(-11, -4))
    assert scan_for_silence() == 1  # raised while she was quiet
    checkins(alice, [0])
    assert row_of(world.staff["nurse"], alice).tier == "none"
