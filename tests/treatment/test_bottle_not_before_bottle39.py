"""Lane bottle39 (re-attack 38t finding 1): 80 mg at the window at 23:00 with tomorrow's 80 mg bottle going
home with it. The bottle carries the earliest moment she may take it: the 23:00 dose plus the program's
same_day_hours (12 h: 11:00 tomorrow), stored on the plan when handed out (`bottle_not_before`), decided
again at a correction (a void removes it); a morning dose, the day after tomorrow's bottle, a hold and a
nurse's double submit leave none. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.services.common import DoseConflict
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import corrected, given_daily, pinned_at_last_five_pm_utc, two_bottle_plan
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _plan(world: World, day: date) -> TakeHomePlan:
    """Alice on methadone 80 mg, given 80 mg on the seven days before `day`, a plan decided the day before
    with bottles for the day after `day` and the one after."""
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 8)], 80)
    return two_bottle_plan(world, at(day - timedelta(days=1), 14), day + timedelta(days=1))


def _dose(world: World, when: datetime, mg: str, **kw: object) -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, **kw).dose


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def test_a_23_00_dose_gives_tomorrows_bottle_11_00(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    _dose(world, at(day, 23), "80")
    plan.refresh_from_db()
    tomorrow = (day + timedelta(days=1)).isoformat()
    assert set(plan.bottle_mg) == {tomorrow, (day + timedelta(days=2)).isoformat()}
    assert plan.bottle_not_before == {tomorrow: _utc(at(day + timedelta(days=1), 11))}


def test_a_morning_dose_gives_no_time(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    _dose(world, at(day, 9), "80")
    plan.refresh_from_db()
    assert plan.bottle_mg and plan.bottle_not_before == {}


def test_a_void_of_the_late_dose_takes_the_time_away(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    dose = _dose(world, at(day, 23), "80")
    with time_machine.travel(at(day, 23, 30), tick=False):
        corrected(world, dose, void=True)
    plan.refresh_from_db()
    assert plan.bottle_mg == {} and plan.bottle_not_before == {}


def test_a_correction_of_the_late_dose_decides_the_time_again(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    dose = _dose(world, at(day, 23), "80")
    with time_machine.travel(at(day, 23, 30), tick=False):
        corrected(world, dose, void=True)
        corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    tomorrow = day + timedelta(days=1)
    assert plan.bottle_not_before == {tomorrow.isoformat(): _utc(at(tomorrow, 11))}


def test_a_split_dose_counts_from_its_last_part(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    _dose(world, at(day, 14), "40", sequence=1)
    _dose(world, at(day, 22, 30), "40", sequence=2)
    plan.refresh_from_db()
    tomorrow = day + timedelta(days=1)
    assert tomorrow.isoformat() in plan.bottle_mg
    assert plan.bottle_not_before == {tomorrow.isoformat(): _utc(at(tomorrow, 10, 30))}


def test_a_hold_at_23_00_hands_out_nothing_and_gives_no_time(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    _dose(world, at(day, 23), "80", sedated=True)
    plan.refresh_from_db()
    assert plan.bottle_mg == {} and plan.bottle_not_before == {}


def test_the_nurses_double_submit_leaves_the_time_as_it_was(world: World) -> None:
    day = days_ago(3)
    plan = _plan(world, day)
    _dose(world, at(day, 23), "80", sequence=1)
    with pytest.raises(DoseConflict):
        _dose(world, at(day, 23, 1), "80", sequence=1)
    plan.refresh_from_db()
    tomorrow = day + timedelta(days=1)
    assert plan.bottle_not_before == {tomorrow.isoformat(): _utc(at(tomorrow, 11))}


def test_a_plan_decided_after_the_23_00_dose_tells_the_time_too(world: World) -> None:
    from keel.treatment import services

    day = days_ago(3)
    with time_machine.travel(at(day - timedelta(days=10), 8), tick=False):
        order = prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="80"
        )
    given_daily(world, order, [day - timedelta(days=i) for i in range(1, 30)], 80)
    _dose(world, at(day, 23), "80")
    tomorrow = day + timedelta(days=1)
    with time_machine.travel(at(day, 23, 20), tick=False):
        plan = services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria={key: True for key in services.CRITERIA_KEYS},
            bottle_days=[tomorrow.isoformat()],
            acknowledged_flags=[],
        )
    assert tomorrow.isoformat() in plan.bottle_mg
    assert plan.bottle_not_before == {tomorrow.isoformat(): _utc(at(tomorrow, 11))}
