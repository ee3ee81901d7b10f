"""The person's home start reads the home-start order in force on their today (`in_force_q`, review 19a's one
definition), never an order written today to start next week."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from tests.factories import ready_at_home

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York), a Thursday


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def test_an_order_starting_today_gives_a_decision(world: Any) -> None:
    from keel.treatment.readiness import home_start

    ready_at_home(world, NOW)
    assert home_start(world.alice.user, NOW).decision is not None


def test_an_order_starting_next_week_gives_no_decision_today(world: Any) -> None:
    from keel.treatment.readiness import home_start

    ready_at_home(world, NOW, starts_on=date(2026, 12, 10))
    assert home_start(world.alice.user, NOW).decision is None
