"""Re-attack 38t finding 3 (medium-high): the override a midnight refusal asks for covers a later full dose.

What the user does: Alice is on 80 mg. She takes 80 mg at 23:00; at 01:30 (the next program day) she vomited
and the nurse asks for a 20 mg top-up. The window refuses it, naming "today's total 100 mg" (80 mg at 23:00
counted with it, fix38e). The prescriber writes exactly the override the refusal asks for: up to 100 mg today.
20 mg is given at 01:30. At 13:00 she is back for her usual daily dose and the nurse gives 80 mg.

What goes wrong: at 13:00 the 23:00 dose is 14 hours old (outside same_day_hours), so the day's counted total
is 20 + 80 = 100 mg, which the same override covers: 80 mg is given with no refusal, a titration step of
20 mg over the last observed day passing on the override too. She has had 180 mg in 14 hours on an 80 mg
order, under an override the prescriber wrote for one 20 mg top-up.
The override's `max_total_mg` is a number on "the day", but since fix38e/l "today's total" is a
rolling set: the number the prescriber approved at 01:30 (23:00 + 01:30)
is compared at 13:00 with a different set of doses (01:30 + 13:00).

What should hold: an override covers the counted set it was asked for: a dose whose counted set is not the
one the override was written against (a dose of the set dropped out and a new one came in) is refused again
and the prescriber asked (for example: an override also caps the doses given under it, or records the
counted set's earliest dose and covers only doses whose set still holds it).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine

from keel.treatment.models import DoseRecord
from keel.treatment.services import add_override
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _on_80(world: World, day: date) -> None:
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)


def _dose(world: World, when: datetime, mg: str) -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg).dose


def test_the_01_30_top_up_override_does_not_cover_a_full_80_mg_at_13_00(world: World) -> None:
    day = days_ago(2)
    _on_80(world, day)
    _dose(world, at(day, 23), "80")
    nxt = day + timedelta(days=1)
    with time_machine.travel(at(nxt, 1), tick=False):
        add_override(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            max_total_mg=100,
            reason="Vomited within 30 minutes of her 23:00 dose; 20 mg top-up, seen by me",
        )
    _dose(world, at(nxt, 1, 30), "20")
    with pytest.raises(DoseBlocked):
        _dose(world, at(nxt, 13), "80")
