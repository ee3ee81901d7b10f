"""Lane fix38h (what lane fix38e left): a buprenorphine correction meets the doses the window counts across
the program's midnight; the override check counts the rule's total; and methadone's titration on the day after
a first day compares with the first day's counted total (doses within same_day_hours after it are its)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import time_machine

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord
from keel.treatment.services import amend_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago
from tests.review34c import _setup as setup

pytestmark = pytest.mark.django_db
BUP = "buprenorphine"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _bup_ready_at(world: World, hour: int) -> datetime:
    """Buprenorphine 8 mg written; heroin 14 h before `hour` and COWS 14 ten minutes before: "ready" at
    `hour` on the program's day three days back."""
    t = setup.at(setup.a_day(world, 3), hour)
    setup.order(world, BUP, "8", t - timedelta(hours=3))
    setup.intake(world, t - timedelta(hours=1), heroin=t - timedelta(hours=14))
    setup.cows(world, t - timedelta(minutes=10))
    return t


def _raise_to(world: World, dose: DoseRecord, mg: str, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            corrected_mg=mg,
            reason="The amount typed was wrong: more was given",
        )


def test_a_bup_correction_raising_a_01_30_dose_counts_the_first_days_23_00_dose(world: World) -> None:
    t = _bup_ready_at(world, 23)
    setup.dose(world, "4", t, medication=BUP)
    small = setup.dose(world, "2", t + timedelta(hours=2, minutes=30), medication=BUP).dose
    with pytest.raises(TreatmentInvalid) as refused:
        _raise_to(world, small, "8", t + timedelta(hours=3))
    assert "first dose day would be 12" in str(refused.value)


def test_a_bup_correction_within_the_first_days_counted_limit_passes(world: World) -> None:
    t = _bup_ready_at(world, 23)
    setup.dose(world, "4", t, medication=BUP)
    small = setup.dose(world, "2", t + timedelta(hours=2, minutes=30), medication=BUP).dose
    _raise_to(world, small, "4", t + timedelta(hours=3))
    assert DoseRecord.objects.get(pk=small.pk).amendments.count() == 1


def _bup_first_day_of_8_mg(world: World) -> datetime:
    """4 mg at 12:00 and 4 mg at 23:00 on the first dose day (8 mg, its limit); returns 23:00."""
    t = _bup_ready_at(world, 12)
    setup.dose(world, "4", t, medication=BUP)
    setup.dose(world, "4", t + timedelta(hours=11), medication=BUP)
    return t + timedelta(hours=11)


def test_bup_4_mg_at_01_30_is_refused_at_the_first_days_whole_total(world: World) -> None:
    late = _bup_first_day_of_8_mg(world)
    with pytest.raises(DoseBlocked) as blocked:
        setup.dose(world, "4", late + timedelta(hours=2, minutes=30), medication=BUP)
    assert "first dose day would be 12" in str(blocked.value)


def test_an_override_sized_to_the_first_days_whole_total_passes_the_01_30_dose(world: World) -> None:
    late = _bup_first_day_of_8_mg(world)
    night = late + timedelta(hours=2, minutes=30)
    setup.override(world, night - timedelta(minutes=5), medication=BUP, mg="12")
    assert setup.dose(world, "4", night, medication=BUP).dose.status == "given"


def test_an_override_sized_to_the_hours_alone_does_not_pass_the_01_30_dose(world: World) -> None:
    late = _bup_first_day_of_8_mg(world)
    night = late + timedelta(hours=2, minutes=30)
    setup.override(world, night - timedelta(minutes=5), medication=BUP, mg="8")
    with pytest.raises(DoseBlocked):
        setup.dose(world, "4", night, medication=BUP)


def _methadone_first_day_of_40_mg(world: World, order_mg: str = "40") -> datetime:
    """A first methadone order (40 mg a day unless said); 30 mg at 23:00 and 10 mg at 01:30 (the first
    day's by the hours): returns 14:00 of the calendar's second day."""
    day = days_ago(3)
    with time_machine.travel(at(day, 8), tick=False):
        prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=order_mg
        )
    for when, mg in ((at(day, 23), "30"), (at(day + timedelta(days=1), 1, 30), "10")):
        with time_machine.travel(when, tick=False):
            record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg)
    return at(day + timedelta(days=1), 14)


def _methadone(world: World, when: datetime, mg: str) -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg).dose


def test_methadone_30_mg_at_14_00_after_a_counted_first_day_of_40_mg_is_no_increase(world: World) -> None:
    afternoon = _methadone_first_day_of_40_mg(world)
    assert _methadone(world, afternoon, "30").status == "given"


def test_on_a_30_mg_order_the_day_two_refusal_names_the_order_not_an_increase(world: World) -> None:
    afternoon = _methadone_first_day_of_40_mg(world, order_mg="30")
    with pytest.raises(DoseBlocked) as blocked:  # 10 mg at 01:30 and 30 mg: 40 mg that day, over the order
        _methadone(world, afternoon, "30")
    assert "between increases" not in str(blocked.value)


def test_methadone_45_mg_at_14_00_after_a_counted_first_day_of_40_mg_is_a_step_of_15_mg(world: World) -> None:
    afternoon = _methadone_first_day_of_40_mg(world)
    with pytest.raises(DoseBlocked) as blocked:
        _methadone(world, afternoon, "45")
    assert "increase of 15" in str(blocked.value)


def test_an_override_sized_to_the_hours_alone_does_not_pass_a_bup_correction(world: World) -> None:
    t = _bup_ready_at(world, 12)
    setup.dose(world, "4", t, medication=BUP)
    setup.dose(world, "2", t + timedelta(hours=11), medication=BUP)  # 6 mg on the first dose day
    night = t + timedelta(hours=13, minutes=30)
    small = setup.dose(world, "1", night, medication=BUP).dose
    setup.override(world, night + timedelta(minutes=5), medication=BUP, mg="8")  # 23:00's 2 mg with 6 mg
    with pytest.raises(TreatmentInvalid):  # the first dose day's whole total: 4 + 2 + 4 = 10 mg
        _raise_to(world, small, "4", night + timedelta(minutes=10))
