"""Re-attack 38m, finding 3 (MEDIUM, fails closed with wrong words): the titration check counts the previous
program day's evening dose twice, once in the day's total and once in the dose it is compared with.

What the user does: Alice is on methadone 80 mg a day (80 mg each day for a week). Yesterday she came in
late: 40 mg at 23:00, the rest to follow. At 01:30 the nurse gives the other 40 mg: 80 mg, the order's
daily dose, within 24 h of a steady 80 mg a day.

What goes wrong: fix38e counts the 23:00 dose with today's (`given_within_hours_mg`: 40 + 40 = 80) but the
titration still compares that total with the previous program day's observed total (`last_observed_mg`,
40 mg: the same 23:00 dose). The dose is blocked for a prescriber's override, and the nurse and prescriber
read "An increase of 40 mg over the last observed dose (40 mg) is above the program's 10 mg titration
step" and "The daily total would rise 40 mg over 7 days (from 40 mg)": no increase was given; the person's
dose has been 80 mg a day all along. An override written on those words records a titration that did not
happen (and a prescriber who believes it may lower the dose for nothing).

What should hold: a dose counted with the previous program day's (within same_day_hours) is compared with
what came before those doses (the day before's total, or the previous day's less the doses counted), so the
second half of an ordered 80 mg given 2.5 h after the first is given with no titration reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_the_second_40_mg_of_an_80_mg_day_at_01_30_after_40_mg_at_23_00_is_given(world: World) -> None:
    day = days_ago(2)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    with time_machine.travel(at(day, 23), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=False):
        second = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40").dose
    assert second.status == "given"
