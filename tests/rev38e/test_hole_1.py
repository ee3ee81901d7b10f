"""Review 38e hole 1 (HIGH): a full daily methadone dose twice within 2.5 hours, across midnight.

What the nurse does: Alice is on 80 mg methadone a day (seven days at 80 mg). The program sets no dosing hours
(the default: always open). She is dosed 80 mg at 23:00 New York time; at 01:30 (the next program day, two and
a half hours later) she is back at the window and the nurse records 80 mg again.

What goes wrong: the second 80 mg is allowed ("Today's total would be 80 mg: within the program's limits").
Every daily limit (the order's daily dose, the day's total ceiling, the titration step) is counted per
calendar day of the program, so they all reset at midnight; the only check that spans midnight is the 2 h
re-dose interval, which 2.5 h passes. 160 mg in 2.5 hours is double the ordered daily dose (methadone
accumulates; overdose and QT risk).

What should hold: methadone taken within the last 24 hours (or since the last dose of the previous day, by
time, as the switch rule reads `switch_hours`) counts towards the order's daily dose: a second full dose that
soon needs a prescriber's override (DoseBlocked)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_a_second_full_daily_dose_two_and_a_half_hours_after_midnight_is_blocked(world: World) -> None:
    day = days_ago(2)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    with time_machine.travel(at(day, 23), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=False), pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
