"""Lane fix36j (re-attack 36j, medication safety): see tests/treatment/HOLES_fix36j.md.

1. Readiness reads bottles at home on the safe side (`bottles_at_home(maybe=True)`): a bottle recorded as
   handed out counts until recorded brought back, whatever happened to its dose since.
2. A buprenorphine fill is in hand through its supply or until its order was stopped, whichever is first.
3. Buprenorphine listed with its time not known counts as within the switch hours.
4. The second-agonist gate reads what was typed in by the recording (`entered_by`).
5. The stored "rested on" of a first dose reads the gate's read (`now=day.now`).
Relative dates only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone, translation

from keel.patients.models import Enrollment, EnrollmentStatus, local_today, zone_of
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.readiness import read_last_uses
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.fills import record_fill
from keel.treatment.words import reason_text
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday, pinned_at_last_five_pm_utc
from tests.review36f._setup import intake_with, order, reported

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    """Pinned at noon in New York (the last 17:00 UTC): an override recorded five minutes before a dose, or a
    dose given hours before it was recorded, must fall on the dose's day whatever the hour the suite runs
    (session 37: the CI at 05:01 UTC, one minute past midnight there, failed these)."""
    yield from pinned_at_last_five_pm_utc()


# --- 1. bottles recorded as handed out count until recorded brought back ---------------------------------


def test_a_bottle_whose_dose_was_voided_after_it_left_is_still_methadone_at_home(world: World) -> None:
    _plan, dose = handed_out_yesterday(world)
    corrected(world, dose, void=True)
    assert read_last_uses(world.alice, timezone.now()).uses["methadone"].source == "take_home"


def test_a_bottle_whose_dose_was_corrected_to_0_mg_is_still_methadone_at_home(world: World) -> None:
    _plan, dose = handed_out_yesterday(world)
    corrected(world, dose, corrected_mg="0")
    now = timezone.now()
    assert read_last_uses(world.alice, now).uses["methadone"].at == now


# --- 2. a fill counts until its order was stopped ----------------------------------------------------------


def _filled_then_stopped(world: World, now: datetime, stopped_days_ago: int) -> MedicationOrder:
    """Buprenorphine 16 mg filled four days ago for 14 days; the order stopped at a discharge
    `stopped_days_ago` days ago (readmitted that day); a methadone order written an hour ago."""
    today = local_today(world.alice, now)
    bup = order(world, "buprenorphine", "16", now - timedelta(days=5), days_before=5)
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(today - timedelta(days=4)).isoformat(),
        days_supply=14,
        source="pharmacy",
        now=now - timedelta(days=4),
    )
    stop_day = today - timedelta(days=stopped_days_ago)
    MedicationOrder.objects.filter(pk=bup.pk).update(status=OrderStatus.STOPPED)
    old = Enrollment.objects.get(patient=world.alice, status=EnrollmentStatus.ACTIVE)
    old.status, old.ended_on, old.end_reason = EnrollmentStatus.ENDED, stop_day, "left"
    old.save()
    Enrollment.objects.create(
        patient=world.alice,
        program=world.alice.program,
        started_on=stop_day,
        consented_at=now - timedelta(days=stopped_days_ago),
    )
    return order(world, "methadone", "30", now - timedelta(hours=1))


def test_a_fill_whose_order_was_stopped_is_taken_up_to_the_stop_day(world: World) -> None:
    now = timezone.now()
    _filled_then_stopped(world, now, 2)
    stop_day = local_today(world.alice, now) - timedelta(days=2)
    end = datetime.combine(stop_day, time.max).replace(tzinfo=zone_of(world.alice))
    assert read_last_uses(world.alice, now).uses["buprenorphine"].at == end


def test_methadone_days_after_the_fills_order_was_stopped_needs_no_switch_override(world: World) -> None:
    now = timezone.now()
    _filled_then_stopped(world, now, 3)
    result = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)
    assert result.dose.amount_mg == 30


def test_a_fill_whose_order_stands_still_stops_methadone(world: World) -> None:
    now = timezone.now()
    bup = order(world, "buprenorphine", "16", now - timedelta(days=5), days_before=5)
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(local_today(world.alice, now) - timedelta(days=4)).isoformat(),
        days_supply=14,
        source="pharmacy",
        now=now - timedelta(days=4),
    )
    order(world, "methadone", "30", now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)


# --- 3. buprenorphine at a time not known -------------------------------------------------------------------


def _bup_time_unknown(world: World, now: datetime) -> None:
    intake_with(world, [{"opioid": "buprenorphine"}], now - timedelta(hours=2))
    order(world, "methadone", "30", now - timedelta(hours=1))


def test_methadone_after_buprenorphine_at_a_time_not_known_needs_the_switch_override(world: World) -> None:
    now = timezone.now()
    _bup_time_unknown(world, now)
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)


def test_the_refusal_says_the_buprenorphine_time_is_not_known(world: World) -> None:
    now = timezone.now()
    _bup_time_unknown(world, now)
    with pytest.raises(DoseBlocked) as exc:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)
    assert "time of the last buprenorphine is not known" in str(exc.value)


def test_the_refusal_says_the_time_is_not_known_in_spanish(world: World) -> None:
    now = timezone.now()
    _bup_time_unknown(world, now)
    with pytest.raises(DoseBlocked) as exc:
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)
    with translation.override("es"):
        said = " ".join(reason_text(r) for r in exc.value.decision.reasons)
    assert "no se sabe" in said


# --- 4. the gate reads what was typed in by the recording --------------------------------------------------


def test_buprenorphine_reported_after_the_time_given_stops_a_late_recorded_methadone(world: World) -> None:
    """Methadone given at 09:00 is recorded at 10:00; at 09:30 the nurse typed in that she took
    buprenorphine at 08:00: the gate reads it (a use before the dose, typed in by its recording)."""
    now = timezone.now()
    given = now - timedelta(hours=1)
    order(world, "methadone", "30", now - timedelta(hours=3))
    reported(world, "buprenorphine", given - timedelta(hours=1), given + timedelta(minutes=30))
    with pytest.raises(DoseBlocked):
        record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="30",
            now=now,
            given_at=given.isoformat(),
        )


# --- 5. the stored "rested on" is the gate's read -----------------------------------------------------


def test_a_first_dose_recorded_late_records_what_the_gate_rested_on(world: World) -> None:
    """Buprenorphine 4 mg given at 12:00 and recorded at 12:30; the intake (heroin 14 h before 12:00) typed
    in at 12:15: the gate read it (`entered_by` the recording), so the dose records the COWS it rested on."""
    from keel.treatment.models import DoseRecord
    from tests.review34c._setup import a_day, at, cows, dose, intake
    from tests.review34c._setup import order as order_at

    t = at(a_day(world, 0), 12)
    order_at(world, "buprenorphine", "8", t - timedelta(hours=3))
    score = cows(world, t - timedelta(minutes=10))
    intake(world, t + timedelta(minutes=15), heroin=t - timedelta(hours=14))
    given = dose(
        world, "4", t + timedelta(minutes=30), medication="buprenorphine", given_at=t.isoformat()
    ).dose
    stored = DoseRecord.objects.get(pk=given.pk).decision
    assert (stored.get("start_rested_on") or {}).get("cows") == score.pk
