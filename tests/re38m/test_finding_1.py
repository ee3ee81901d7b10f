"""Re-attack 38m, finding 1 (HIGH): a correction raising the evening dose of the previous program day does
not count the next day's dose given within same_day_hours after it.

What the user does: Alice is on methadone 80 mg a day. The night nurse records 80 mg at 23:00, then
corrects it to 0 mg ("she spat it out"). At 01:30 Alice is given 80 mg (nothing counted within 12 h: it
passes, rightly as the record then stood). The next morning the dosing nurse finds the 23:00 correction was
wrong (it was another person's cup) and corrects the 23:00 dose back up to 80 mg.

What goes wrong: the correction's re-check (`limits.window_limits_over`) runs the rule on the 23:00 dose's
day with that day's other doses (none) and the previous day's within the hours BEFORE 23:00; the 01:30 dose
2.5 h after it is on the next program day and is never counted. The correction is accepted: the record now
says 160 mg in 2.5 h on an 80 mg order, with no prescriber's override and nothing said. At the window the
same two doses are refused (fix38e); within one program day the same correction counts the later doses
(`others` is the whole day's): only the program's midnight lets it through.

What should hold: a correction raising a dose counts every dose within same_day_hours of it, after as well
as before (the next program day's too), and is refused naming corrected_mg (TreatmentInvalid) unless a
prescriber's override covers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_correcting_the_23_00_dose_from_0_back_to_80_after_80_mg_at_01_30_is_refused(world: World) -> None:
    day = days_ago(2)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    with time_machine.travel(at(day, 23), tick=False):
        evening = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80").dose
    with time_machine.travel(at(day, 23, 20), tick=False):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=evening.pk,
            corrected_mg="0",
            reason="She spat the dose out in front of the nurse",
        )
    with time_machine.travel(at(day + timedelta(days=1), 1, 30), tick=False):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    with time_machine.travel(at(day + timedelta(days=1), 9), tick=False), pytest.raises(TreatmentInvalid):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=evening.pk,
            corrected_mg="80",
            reason="The 0 mg correction was another person's cup: 80 mg was taken",
        )
