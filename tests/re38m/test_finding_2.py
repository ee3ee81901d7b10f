"""Re-attack 38m, finding 2 (HIGH): a methadone correction on a day with a prescriber's override is measured
against the override by the calendar day's total, so the previous day's dose within same_day_hours drops out.

What the user does: Alice is on methadone 80 mg a day; 80 mg at 23:00. At 01:00 the prescriber writes an
override for today up to 90 mg ("10 mg more for withdrawal overnight"); at 01:30 the nurse gives 10 mg
(80 + 10 counted: 90, within the override, rightly passes). At 09:00 the nurse corrects the 01:30 dose to
80 mg ("the amount typed was wrong").

What goes wrong: `limits` (the correction's window checks) asks `_override_covers` with the calendar day's
total (80: the corrected dose alone) and, covered, returns before `window_limits_over`, the only check that
counts the 23:00 dose (fix38e). The correction is accepted: 160 mg in 2.5 h under an override the prescriber
wrote for 90 mg, nothing said. The same 80 mg at the window at 01:30 with the same override is refused
(counted 160 > 90): the correction route and the window disagree on what the override covers. The day-total
ceiling on a correction (`ceilings(..., total, ...)`) reads the same calendar total.

What should hold: a correction's override and ceiling checks count the day as the window's rule counts it
(the previous program day's doses within same_day_hours too): refused naming corrected_mg.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services import add_override, amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_correcting_a_01_30_dose_to_80_under_a_90_mg_override_after_80_mg_at_23_00_is_refused(
    world: World,
) -> None:
    day = days_ago(2)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    with time_machine.travel(at(day, 23), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    with time_machine.travel(at(day + timedelta(days=1), 1), tick=False):
        add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg=90,
            reason="10 mg more for withdrawal overnight",
        )
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=False):
        small = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="10").dose
    with time_machine.travel(at(day + timedelta(days=1), 9), tick=False), pytest.raises(TreatmentInvalid):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=small.pk,
            corrected_mg="80",
            reason="The amount typed was wrong: 80 mg was given",
        )
