"""The states both home-start tests build (`test_home_start_page_and_api_agree`,
`test_home_start_stopped_before_the_inputs`): the clock pinned at 10:00 in Riverside tomorrow, Alice's
buprenorphine home-start order, and methadone given (or held) at the clinic half an hour before. A module
that imports `pinned_clock` gets it as its autouse `_clock` (a fresh world per test, `tests/conftest.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

ZONE = ZoneInfo("America/New_York")  # Riverside's
# 10:00 in Riverside tomorrow (relative to the run: the suite also runs with the clock a year ahead)
NOW = datetime.combine(datetime.now(ZONE).date() + timedelta(days=1), time(10), tzinfo=ZONE)


@pytest.fixture(autouse=True, name="_clock")
def pinned_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def home_start_order(world: Any) -> None:
    """Alice's buprenorphine order with a home start, 8 mg, written now."""
    from keel.treatment.services import prescribe

    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        home_start=True,
        now=NOW,
    )


def methadone_this_morning(world: Any, *, sedated: bool = False) -> None:
    """Methadone 20 mg ordered and given at the clinic half an hour ago (`sedated`: held instead)."""
    from keel.treatment.services import prescribe, record_dose

    prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="20", now=NOW
    )
    record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        amount_mg=None if sedated else "20",
        sedated=sedated,
        now=NOW - timedelta(minutes=30),
    )
