"""Lane fix38l (re-attack 38m, fix38h's left items): a correction counts every dose within the program's
same_day_hours of it, before and after (the next program day's too); titration compares like with like
across midnight; methadone's override check counts the rule's first-day total."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from keel.core.rules.window import given_within_hours
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord
from keel.treatment.services import add_override, amend_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc
from tests.rev38e._midnight import at, days_ago

pytestmark = pytest.mark.django_db
REASON = "The amount typed was wrong: checked against the dispensing pump log"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _give(world: World, mg: str, when: datetime) -> DoseRecord:
    with time_machine.travel(when, tick=False):
        return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg).dose


def _correct(world: World, dose: DoseRecord, mg: str, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            corrected_mg=mg,
            reason=REASON,
        )


def _order(world: World, mg: str, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=mg)


def _override(world: World, mg: int, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        add_override(by=world.staff["prescriber"], patient_id=world.alice.pk, max_total_mg=mg, reason=REASON)


# --- The one count: before and after ------------------------------------------------------------------------


def test_a_dose_two_and_a_half_hours_after_counts_within_twelve_hours() -> None:
    t = datetime(2026, 3, 1, 4, tzinfo=UTC)
    assert given_within_hours([(t + timedelta(hours=2.5), 80.0)], t, 12) == 80.0


def test_a_dose_thirteen_hours_after_does_not_count_within_twelve_hours() -> None:
    t = datetime(2026, 3, 1, 4, tzinfo=UTC)
    assert given_within_hours([(t + timedelta(hours=13), 80.0)], t, 12) == 0.0


def _steady_80(world: World, order_mg: str = "80") -> datetime:
    """80 mg a day for a week before the program day two days back, on an order of `order_mg` (80 unless
    said); returns its 23:00."""
    day = days_ago(2)
    _order(world, order_mg, at(day - timedelta(days=10), 8))
    given_daily(world, _order_of(world), [day - timedelta(days=i) for i in range(1, 8)], 80)
    return at(day, 23)


def _order_of(world: World) -> object:
    from keel.treatment.models import MedicationOrder

    return MedicationOrder.objects.filter(patient=world.alice).latest("created_at")


def test_raising_the_23_00_dose_is_refused_for_the_next_days_01_30_dose(world: World) -> None:
    night = _steady_80(world)
    evening = _give(world, "40", night)
    _give(world, "40", night + timedelta(hours=2, minutes=30))
    with pytest.raises(TreatmentInvalid) as refused:
        _correct(world, evening, "80", night + timedelta(hours=10))
    assert refused.value.errors[0].field == "corrected_mg"


def test_raising_the_23_00_dose_counts_no_dose_thirteen_hours_after(world: World) -> None:
    night = _steady_80(world)
    evening = _give(world, "70", night)
    _give(world, "80", night + timedelta(hours=13))
    _correct(world, evening, "80", night + timedelta(hours=14))
    assert DoseRecord.objects.get(pk=evening.pk).amendments.count() == 1


def _first_day_at_20_00(world: World) -> tuple[DoseRecord, datetime]:
    """A first methadone order of 60 mg; 20 mg at 20:00 on the first day and 15 mg at 07:00 the next
    (within 12 hours: the first day's, 35 mg of its 40 mg limit). Returns the 20:00 dose and the next
    day's 07:00."""
    day = days_ago(3)
    _order(world, "60", at(day, 8))
    first = _give(world, "20", at(day, 20))
    _give(world, "15", at(day + timedelta(days=1), 7))
    return first, at(day + timedelta(days=1), 7)


def test_raising_a_first_days_20_00_dose_counts_the_next_mornings_first_day_dose(world: World) -> None:
    first, morning = _first_day_at_20_00(world)
    with pytest.raises(TreatmentInvalid) as refused:
        _correct(world, first, "30", morning + timedelta(hours=2))
    assert "first-day total would be 45" in str(refused.value)


def test_raising_a_first_days_20_00_dose_within_the_first_days_total_passes(world: World) -> None:
    first, morning = _first_day_at_20_00(world)
    _correct(world, first, "25", morning + timedelta(hours=2))
    assert DoseRecord.objects.get(pk=first.pk).amendments.count() == 1


# --- Titration: like with like ------------------------------------------------------------------------------


def test_a_split_dose_rising_past_the_step_across_midnight_is_still_an_increase(world: World) -> None:
    night = _steady_80(world, order_mg="100")
    _give(world, "40", night)
    with pytest.raises(DoseBlocked) as blocked:
        _give(world, "60", night + timedelta(hours=2, minutes=30))
    assert "increase of 20 mg over the last observed dose (80 mg)" in str(blocked.value)


def test_the_split_second_half_is_said_as_within_the_limits_not_an_increase(world: World) -> None:
    night = _steady_80(world)
    _give(world, "40", night)
    with time_machine.travel(night + timedelta(hours=2, minutes=30), tick=False):
        outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
    assert "increase" not in " ".join(r.text for r in outcome.decision.reasons)


# --- Methadone's override check counts the rule's first-day total -------------------------------------------


def _first_day_of_35_mg(world: World) -> datetime:
    """A first methadone order of 60 mg; 25 mg at 08:00 and 10 mg at 20:00 on the first day (35 mg);
    returns 07:00 the next day (11 hours after 20:00: a dose then counts as the first day's)."""
    day = days_ago(3)
    _order(world, "60", at(day, 7))
    _give(world, "25", at(day, 8))
    _give(world, "10", at(day, 20))
    return at(day + timedelta(days=1), 7)


def test_an_override_sized_to_the_hours_alone_does_not_pass_a_first_day_dose_after_midnight(
    world: World,
) -> None:
    morning = _first_day_of_35_mg(world)
    _override(world, 25, morning - timedelta(minutes=10))
    with pytest.raises(DoseBlocked):
        _give(world, "10", morning)


def test_an_override_sized_to_the_first_days_whole_total_passes_the_dose(world: World) -> None:
    morning = _first_day_of_35_mg(world)
    _override(world, 45, morning - timedelta(minutes=10))
    assert _give(world, "10", morning).status == "given"
