"""Re-attack 39m finding 2: in a program whose same_day_hours is 20 (the policy's allowed ceiling), an 80 mg
dose at 23:00 makes tomorrow's bottle 'not before 19:00', but the next bottle of the same run says nothing:
drunk at 00:00 it is 5 hours after the first, 160 mg within the program's 20 hours (`note_not_before`: only
the first bottle of a run follows the dose)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from keel.treatment.models import TakeHomePlan
from keel.treatment.services.policy import set_value
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.re39m._setup import decide, dose, on_eighty
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def test_the_second_bottle_of_a_run_after_a_late_dose_in_a_20_hour_program_says_when(world: World) -> None:
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="methadone-dose-check",
        field="same_day_hours",
        value=20,
        reason="Evening and early-morning doses are one day's, per our medical director",
    )
    day = days_ago(4)
    on_eighty(world, day)
    decide(world, at(day, 9), [day + timedelta(days=1), day + timedelta(days=2)])
    dose(world, at(day, 23))  # both bottles leave with this dose
    told = TakeHomePlan.objects.get(patient=world.alice).bottle_not_before or {}
    first = datetime.fromisoformat(told[(day + timedelta(days=1)).isoformat()])  # 19:00 the next day
    second = told.get((day + timedelta(days=2)).isoformat())
    assert second is not None and datetime.fromisoformat(second) >= first + timedelta(hours=20)
