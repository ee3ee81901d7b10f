"""Hole 3: methadone raised the day after the first dose passes the days-between-increases check. A new
person: 30 mg on treatment day 1; the next morning the prescriber writes 40 mg and the nurse gives it:
"allowed", "Today's total would be 40 mg: within the program's limits." Correction 7: induction deaths follow
doses "increased too rapidly" (Baxter 2013); "5-10 mg no more often than every 3-5 days" (program policy,
default 3 days). Cause: `core.rules.methadone.titration._titration_checks` counts days from the last
*increase* only (`days_since_last_increase`, None when there was none, and then no check): the level the
episode started at (the first day, or a new induction after missed days) is no start of the count, so the
first raise may come one day after the first dose."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.review34c._setup import a_day, at, dose, order

pytestmark = pytest.mark.django_db


def _day_one_30_mg(world: World) -> date:
    """Methadone 30 mg written and given on treatment day 1 (three days before today). The next day."""
    first = a_day(world, 3)
    order(world, "methadone", "30", at(first, 7))
    dose(world, "30", at(first, 9))
    return first + timedelta(days=1)


def test_control_day_two_at_the_same_dose_is_given(world: World) -> None:
    day_two = _day_one_30_mg(world)
    assert dose(world, "30", at(day_two, 9)).dose.amount_mg == 30


def test_a_raise_the_day_after_the_first_dose_needs_a_prescribers_override(world: World) -> None:
    day_two = _day_one_30_mg(world)
    order(world, "methadone", "40", at(day_two, 7))
    with pytest.raises(DoseBlocked):
        dose(world, "40", at(day_two, 9))
