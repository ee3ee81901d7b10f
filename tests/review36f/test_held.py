"""Review 36f (switching medicines): attacks that held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.readiness import naltrexone_readiness
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.fills import record_fill
from keel.treatment.services.injections import record_injection
from tests.conftest import World
from tests.factories import buprenorphine_then_methadone_order, given_on, two_bottle_plan
from tests.review36f._setup import injected, intake_with, order, reported


def _inject(world: World) -> None:
    record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="left_gluteal")


def test_an_intakes_methadone_without_a_time_stops_the_injection_when_no_clinic_dose(world: World) -> None:
    now = timezone.now()
    intake_with(
        world,
        [
            {"opioid": "heroin", "last_use_at": (now - timedelta(days=10)).isoformat()},
            {"opioid": "methadone"},
        ],
        now - timedelta(hours=1),
    )
    order(world, "naltrexone_xr", "380", now - timedelta(minutes=30))
    with pytest.raises(TreatmentInvalid):
        _inject(world)


def test_the_injection_three_days_after_the_last_clinic_methadone_is_refused(world: World) -> None:
    now = timezone.now()
    methadone = order(world, "methadone", "30", now - timedelta(days=30), days_before=0)
    given_on(world, methadone, local_today(world.alice, now) - timedelta(days=3), 30, 1)
    reported(world, "heroin", now - timedelta(days=20), now - timedelta(hours=1))
    order(world, "naltrexone_xr", "380", now - timedelta(minutes=30))
    with pytest.raises(DoseBlocked):
        _inject(world)


def test_street_methadone_reported_at_check_in_refuses_the_injection(world: World) -> None:
    now = timezone.now()
    reported(world, "heroin", now - timedelta(days=20), now - timedelta(hours=2))
    reported(world, "methadone", now - timedelta(days=2), now - timedelta(hours=1))
    order(world, "naltrexone_xr", "380", now - timedelta(minutes=30))
    with pytest.raises(DoseBlocked):
        _inject(world)


def test_a_take_home_bottle_counts_as_the_last_methadone(world: World) -> None:
    now = timezone.now()
    today = local_today(world.alice, now)
    methadone = order(world, "methadone", "30", now - timedelta(days=30), days_before=0)
    given_on(world, methadone, today - timedelta(days=10), 30, 1)
    plan = two_bottle_plan(world, now - timedelta(days=11), today - timedelta(days=3))  # 3, 2 days ago
    # fix36e item 1 (integrator, set-up only): a bottle counts once it left with her, recorded as handed out
    plan.bottle_mg = {day: "30.00" for day in plan.bottles}
    plan.save(update_fields=["bottle_mg"])
    reported(world, "heroin", now - timedelta(days=20), now - timedelta(hours=1))
    read = naltrexone_readiness(world.alice, now)
    assert read.decision is not None and read.decision.decision == "not_eligible"


def test_buprenorphine_in_hand_from_a_fill_refuses_the_injection(world: World) -> None:
    now = timezone.now()
    bup = order(world, "buprenorphine", "16", now - timedelta(days=3), days_before=3)
    record_fill(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        order_id=bup.pk,
        filled_on=(local_today(world.alice, now) - timedelta(days=2)).isoformat(),
        days_supply=7,
        source="pharmacy",
        now=now - timedelta(hours=3),
    )
    reported(world, "heroin", now - timedelta(days=20), now - timedelta(hours=1))
    order(world, "naltrexone_xr", "380", now - timedelta(minutes=30))
    with pytest.raises(DoseBlocked):
        _inject(world)


def test_methadone_an_hour_after_buprenorphine_given_here_is_blocked(world: World) -> None:
    now = timezone.now()
    buprenorphine_then_methadone_order(world, now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30", now=now)


def test_a_first_methadone_dose_after_naltrexone_keeps_the_first_day_limit(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=30))
    order(world, "methadone", "60", now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="60", now=now)


def test_opioid_use_reported_since_the_last_injection_makes_the_next_a_first_one(world: World) -> None:
    now = timezone.now()
    injected(world, now - timedelta(days=27))
    reported(world, "fentanyl", now - timedelta(days=2), now - timedelta(hours=1))
    with pytest.raises(DoseBlocked):
        record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site="right_gluteal", now=now)


def test_a_later_report_with_an_older_time_does_not_unblock_the_injection(world: World) -> None:
    now = timezone.now()
    reported(world, "fentanyl", now - timedelta(days=2), now - timedelta(hours=3))
    reported(world, "fentanyl", now - timedelta(days=12), now - timedelta(hours=1))  # "no, it was 12 days"
    order(world, "naltrexone_xr", "380", now - timedelta(minutes=30))
    with pytest.raises(DoseBlocked):
        _inject(world)


def test_the_window_refuses_naltrexone_posted_as_a_dose(world: World) -> None:
    now = timezone.now()
    reported(world, "heroin", now - timedelta(days=20), now - timedelta(hours=1))
    order(world, "naltrexone_xr", "380", now - timedelta(minutes=30))
    with pytest.raises(TreatmentInvalid):
        record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="380", medication="naltrexone_xr"
        )


def test_a_nurse_cannot_record_the_switch_override(world: World) -> None:
    from keel.access.errors import ClinicalNotAllowed
    from keel.treatment.services.overrides import add_override

    with pytest.raises(ClinicalNotAllowed):
        add_override(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            reason="Switching from buprenorphine to methadone today, discussed with her.",
            kind="switch",
        )


def test_street_methadone_reported_on_buprenorphine_restarts_the_start_gate(world: World) -> None:
    from tests.factories import given_daily
    from tests.review36f._setup import cows_24

    now = timezone.now()
    today = local_today(world.alice, now)
    bup = order(world, "buprenorphine", "16", now - timedelta(days=10), days_before=10)
    given_daily(world, bup, [today - timedelta(days=n) for n in range(6, 0, -1)], 16)
    reported(world, "methadone", now - timedelta(hours=8), now - timedelta(hours=1))
    cows_24(world, now - timedelta(minutes=10))
    with pytest.raises(DoseBlocked):
        record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="16",
            medication="buprenorphine",
            now=now,
        )
