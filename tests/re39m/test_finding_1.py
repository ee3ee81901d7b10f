"""Re-attack 39m finding 1: a take-home bottle handed out at a plan decided the morning after a late window
dose goes home with no 'not before' time and is judged as if nothing had been taken (bottle39 covers only
tomorrow's bottle at the dose; `hand_out.bottle_verdict` clears `earlier_taken`, `told_not_before` looks at
the day after the decision only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.re39m._setup import decide, dose, on_eighty
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_todays_bottle_decided_at_07_00_after_80_mg_at_23_00_is_not_free_to_drink_at_once(
    world: World,
) -> None:
    yesterday = days_ago(3)
    today = yesterday + timedelta(days=1)
    on_eighty(world, yesterday)
    dose(world, at(yesterday, 23))  # 80 mg at the window at 23:00
    plan = decide(world, at(today, 7), [today])  # 07:00: a run starting today goes home now
    plan.refresh_from_db()
    told = (plan.bottle_not_before or {}).get(today.isoformat())
    earliest = at(yesterday, 23) + timedelta(hours=12)  # the program's same_day_hours (12)
    # safe: either the bottle is kept back, or it says she may not take it before 11:00
    assert today.isoformat() not in plan.bottle_mg or (
        told is not None and datetime.fromisoformat(told) >= earliest
    )
