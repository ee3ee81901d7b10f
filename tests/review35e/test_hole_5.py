"""Hole 5: the caseload says a person missed exactly 30 days when she missed more.

What the user did: Alicia came to the methadone window daily for two weeks, then stopped; 45 days later the
nurse opens the caseload.
What happened: her row says "No observed dose for 30 days in a row" (and `missed_dose_days` 30): the count
stops at the 30-day look-back (`MISS_LOOKBACK`) and the words say the cap as if it were the count.
What should happen: the words do not claim a count that is not hers: "30 days or more" (or the real 45).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import given_daily
from tests.review35e._setup import day, methadone_since, row_of

pytestmark = pytest.mark.django_db


def test_missed_days_past_the_look_back_are_not_said_as_thirty(world: Any) -> None:
    alice = world.alice
    order = methadone_since(world, -60)
    given_daily(world, order, [day(alice, n) for n in range(-60, -45)], 80)
    row = row_of(world.staff["nurse"], alice)
    assert "No observed dose for 30 days in a row" not in row.words
