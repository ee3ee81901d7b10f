"""The person's home start reads the home-start order in force on their today (`in_force_q`, review 19a's one
definition), never an order written today to start next week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 10:00 in Riverside (America/New_York), a Thursday


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _ready_at_home(world: Any, starts_on: date | None) -> None:
    """A home-start order, heroin 29 hours ago, a SOWS of 32 five minutes ago."""
    from keel.assessments.services import submit_assessment
    from keel.treatment.services import prescribe
    from keel.treatment.services.last_use import record_last_use

    prescriber, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    prescribe(
        by=prescriber,
        patient_id=alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        home_start=True,
        starts_on=starts_on,
        now=NOW,
    )
    record_last_use(
        by=nurse,
        patient_id=alice.pk,
        raw={"opioids": [{"opioid": "heroin", "last_use_at": "2026-12-02T10:00:00-05:00"}]},
        now=NOW - timedelta(hours=2),
    )
    submit_assessment(
        by=alice.user,
        patient_id=None,
        instrument="sows",
        answers={f"sows_{i}": 2 for i in range(1, 17)},
        filled_at=NOW - timedelta(minutes=5),
    )


def test_an_order_starting_today_gives_a_decision(world: Any) -> None:
    from keel.treatment.readiness import home_start

    _ready_at_home(world, None)
    assert home_start(world.alice.user, NOW).decision is not None


def test_an_order_starting_next_week_gives_no_decision_today(world: Any) -> None:
    from keel.treatment.readiness import home_start

    _ready_at_home(world, date(2026, 12, 10))
    assert home_start(world.alice.user, NOW).decision is None
