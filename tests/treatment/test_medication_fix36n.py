"""Lane fix36n (re-attack 36l, medication): see tests/treatment/HOLES_fix36n.md.

1. A buprenorphine fill filled after its order's stop day counts through its supply.
2. Buprenorphine at a time not known asks no switch override once it became unknown `switch_hours` or more
   before the methadone dose.
3. A held dose corrected into a given one is read against the injection in force on the dose's day.
Relative dates only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from keel.patients.models import Enrollment, EnrollmentStatus, FlagKind, PatientFlag, local_today
from keel.patients.services.flags import resolve_flag
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import MedicationOrder, OrderStatus
from keel.treatment.readiness import read_last_uses
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.fills import record_fill
from keel.treatment.services.injections import record_injection
from tests.conftest import World
from tests.review36f._setup import injected, intake_with, order

pytestmark = pytest.mark.django_db


# --- 1. a fill filled after the stop counts through its supply ---------------------------------------------


def _filled_after_the_stop(world: World, now: datetime) -> None:
    """Buprenorphine ordered six days ago; the order stopped at a discharge three days ago (readmitted that
    day); a PDMP fill of it filled two days ago for 14 days recorded now; methadone written an hour ago."""
    today = local_today(world.alice, now)
    bup = order(world, "buprenorphine", "16", now - timedelta(days=6), days_before=6)
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(today - timedelta(days=2)).isoformat(),
        days_supply=14,
        source="pharmacy",
        now=now - timedelta(minutes=5),
    )
    stop_day = today - timedelta(days=3)
    MedicationOrder.objects.filter(pk=bup.pk).update(status=OrderStatus.STOPPED)
    old = Enrollment.objects.get(patient=world.alice, status=EnrollmentStatus.ACTIVE)
    old.status, old.ended_on, old.end_reason = EnrollmentStatus.ENDED, stop_day, "left"
    old.save()
    Enrollment.objects.create(
        patient=world.alice,
        program=world.alice.program,
        started_on=stop_day,
        consented_at=now - timedelta(days=3),
    )
    order(world, "methadone", "30", now - timedelta(hours=1))


def test_a_fill_filled_after_its_orders_stop_is_in_hand_through_its_supply(world: World) -> None:
    now = timezone.now()
    _filled_after_the_stop(world, now)
    assert read_last_uses(world.alice, now).uses["buprenorphine"].at == now


def test_methadone_after_a_fill_filled_after_the_stop_needs_the_switch_override(world: World) -> None:
    now = timezone.now()
    _filled_after_the_stop(world, now)
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)


# --- 2. buprenorphine at a time not known, listed long enough ago -------------------------------------------


def _bup_time_unknown(world: World, now: datetime, hours_ago: float) -> None:
    intake_with(world, [{"opioid": "buprenorphine"}], now - timedelta(hours=hours_ago))
    order(world, "methadone", "30", now - timedelta(hours=1))


def test_buprenorphine_not_known_since_more_than_the_switch_hours_asks_no_override(world: World) -> None:
    now = timezone.now()
    _bup_time_unknown(world, now, 25)
    result = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)
    assert result.dose.amount_mg == 30


def test_buprenorphine_not_known_since_within_the_switch_hours_still_asks_it(world: World) -> None:
    now = timezone.now()
    _bup_time_unknown(world, now, 23)
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)


def test_last_uses_say_since_when_the_time_is_not_known(world: World) -> None:
    now = timezone.now()
    _bup_time_unknown(world, now, 25)
    listed = now - timedelta(hours=25)
    assert read_last_uses(world.alice, now).unknown_since("buprenorphine") == listed


# --- 3. the injection in force on the dose's day ---------------------------------------------------------


def _held_in_the_first_blockade(world: World, now: datetime) -> int:
    """Injected 40 days ago; methadone held 30 days ago (inside that blockade); injected again 5 days ago."""
    injected(world, now - timedelta(days=40))
    order(world, "methadone", "30", now - timedelta(days=31))
    held = record_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        amount_mg=None,
        sedated=True,
        now=now - timedelta(days=30),
    ).dose
    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    resolve_flag(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        flag_id=flag.pk,
        note="assessed: fine to dose",
    )
    record_injection(
        by=world.staff["nurse"], patient_id=world.alice.pk, site="right_gluteal", now=now - timedelta(days=5)
    )
    return held.pk


def test_a_held_dose_in_an_earlier_injections_blockade_corrected_after_a_later_one_is_refused(
    world: World,
) -> None:
    now = timezone.now()
    dose_id = _held_in_the_first_blockade(world, now)
    with pytest.raises(TreatmentInvalid) as exc:
        amend_dose(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            dose_id=dose_id,
            corrected_mg="30",
            reason="She was not sedated; the 30 mg was given",
            now=now,
        )
    assert "XR-naltrexone was injected on" in str(exc.value)
