"""Lane fix38o (re-attack 38t findings 2 and 3): a low-dose step within same_day_hours of the previous step
counts that step's day; a limit override covers the doses counted when it was written too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from keel.treatment.services.common import DoseBlocked
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago
from tests.review34c import _setup as setup

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"
STEPS = [{"day": d, "mg": mg} for d, mg in zip(range(1, 8), (0.5, 1, 2, 3, 4, 6, 8), strict=True)]


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _refusal_words(world: World) -> str:
    day = days_ago(3)
    setup.order(world, BUP, "8", at(day, 8), schedule=STEPS)
    setup.dose(world, "0.5", at(day, 23), medication=BUP)
    with pytest.raises(DoseBlocked) as refused:
        setup.dose(world, "1", at(day + timedelta(days=1), 1, 30), medication=BUP)
    return " ".join(r.text for r in refused.value.decision.reasons)


def test_a_step_at_01_30_after_step_one_at_23_00_is_refused_naming_the_hours(world: World) -> None:
    assert "within 12 hours before this dose" in _refusal_words(world)


def test_a_step_at_01_30_after_step_one_at_23_00_is_refused_as_a_second_step_of_step_ones_day(
    world: World,
) -> None:
    assert "above the 0.5 mg the schedule plans for today" in _refusal_words(world)


def test_step_two_the_next_afternoon_is_given_as_step_two(world: World) -> None:
    day = days_ago(3)
    setup.order(world, BUP, "8", at(day, 8), schedule=STEPS)
    setup.dose(world, "0.5", at(day, 23), medication=BUP)
    given = setup.dose(world, "1", at(day + timedelta(days=1), 13), medication=BUP)
    assert given.dose.amount_mg == 1
