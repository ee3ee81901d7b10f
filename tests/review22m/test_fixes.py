"""Lane fix22m: review 22m's holes 1, 2, 4, 5 and 6 by routes and variants the reviewer did not try: the
order API, a lower re-write, a re-write that carries a QTc reason and its refusal past the dose it
covered, another time zone, the record's dose-review notice, a newer ECG that clears, a prescriber's
re-write during a re-induction gap and the day after a restart. Dates relative to now (RULES)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, DoseStatus, MedicationOrder
from keel.treatment.queries import order_version, orders_version
from keel.treatment.queries.qtc import dose_review_qtc, recent_qtc
from keel.treatment.services import record_dose
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.overrides import add_override
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World, sign_in
from tests.factories import buprenorphine_then_methadone_order, given_daily
from tests.review22m.test_qtc_gate_rewrites import NEEDS_NEW_ORDER, QTC_REASON, _dose, _order, _qtc

pytestmark = pytest.mark.django_db


def _post_order(world: World, mg: str, reason: str = "") -> object:
    client = sign_in(Client(), world.staff["prescriber"])
    body = {"medication": "methadone", "dose_mg": mg, **({"override_reason": reason} if reason else {})}
    body["order_version"] = order_version(world.alice, "methadone")  # the version the writer read (med22)
    body["orders_version"] = orders_version(world.alice)  # every medication's (api23)
    return client.post(f"/api/v1/patients/{world.alice.pk}/orders", json.dumps(body), "application/json")


def _last(world: World) -> MedicationOrder:
    return MedicationOrder.objects.filter(patient=world.alice, medication="methadone").latest("id")


# --- Holes 1-2: a re-write carries forward what the old order's raise or start needed ---


def _taken_start_then_560(world: World) -> None:
    today = local_today(world.alice, timezone.now())
    start = _order(world, "80")
    given_daily(world, start, [today - timedelta(days=1)], 30)
    _qtc(world, 560)


def test_the_order_api_refuses_the_taken_start_rewritten_without_a_reason(world: World) -> None:
    _taken_start_then_560(world)
    response = _post_order(world, "80")
    assert response.status_code == 422, response.content[:300]  # type: ignore[attr-defined]
    assert "override_reason" in response.content.decode()  # type: ignore[attr-defined]


def test_a_lower_rewrite_of_the_taken_start_needs_the_reason_too(world: World) -> None:
    _taken_start_then_560(world)
    with pytest.raises(TreatmentInvalid) as raised:
        _order(world, "40")  # 30 given: 40 is still above the level the window holds
    assert "override_reason" in {e.field for e in raised.value.errors}


def test_the_taken_start_rewritten_with_the_reason_raises_from_the_level_given(world: World) -> None:
    _taken_start_then_560(world)
    _order(world, "80", QTC_REASON)
    assert _last(world).raised_from_mg == 30


def _raise_with_reason_on_505(world: World) -> None:
    today = local_today(world.alice, timezone.now())
    first = _order(world, "60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(5, 0, -1)], 60)
    _qtc(world, 505)
    _order(world, "100", QTC_REASON)


def test_a_lower_rewrite_within_the_covered_raise_carries_the_reason_and_stops_on_a_worse_qtc(
    world: World,
) -> None:
    _raise_with_reason_on_505(world)
    _order(world, "80")  # within what the reason covered: no new reason asked, the old one carried
    carried = _last(world)
    assert (carried.raised_from_mg, carried.qtc_reason) == (60, QTC_REASON)
    _qtc(world, 610)
    assert _dose(world, "70") == NEEDS_NEW_ORDER


def test_a_rewrite_above_the_covered_raise_needs_a_new_reason(world: World) -> None:
    _raise_with_reason_on_505(world)
    with pytest.raises(TreatmentInvalid) as raised:
        _order(world, "110")
    assert "override_reason" in {e.field for e in raised.value.errors}


def test_the_order_api_posted_twice_keeps_the_hold_on_a_worse_qtc(world: World) -> None:
    today = local_today(world.alice, timezone.now())
    first = _order(world, "60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(5, 0, -1)], 60)
    _qtc(world, 505)
    for _ in range(2):  # the same form posted twice through the API
        assert _post_order(world, "100", QTC_REASON).status_code == 201  # type: ignore[attr-defined]
    assert _last(world).raised_from_mg == 60
    _qtc(world, 610)
    assert _dose(world, "70") == NEEDS_NEW_ORDER


# --- Hole 4: the switch in hours, in another time zone ---


@pytest.fixture
def auckland(world: World) -> Iterator[None]:
    program = world.alice.program
    was = program.time_zone
    program.time_zone = "Pacific/Auckland"
    program.save(update_fields=["time_zone"])
    try:
        yield
    finally:
        program.time_zone = was
        program.save(update_fields=["time_zone"])


def _bup_then_methadone(world: World, bup_before: timedelta) -> None:
    alice, nurse = world.alice, world.staff["nurse"]
    zone = ZoneInfo(alice.program.time_zone)
    midnight = datetime.combine(local_today(alice, timezone.now()), time(0), tzinfo=zone)
    methadone_at = midnight + timedelta(minutes=30)
    bup_at = methadone_at - bup_before
    buprenorphine_then_methadone_order(world, bup_at)
    record_dose(by=nurse, patient_id=alice.pk, amount_mg="30", now=methadone_at)


@pytest.mark.usefixtures("auckland")
def test_across_midnight_in_auckland_the_switch_is_still_asked(world: World) -> None:
    with pytest.raises(DoseBlocked) as blocked:
        _bup_then_methadone(world, timedelta(hours=2))  # 22:30 and 00:30, Auckland's calendar
    assert "second opioid agonist" in str(blocked.value)


@pytest.mark.usefixtures("auckland")
def test_a_day_and_more_after_buprenorphine_methadone_needs_no_switch(world: World) -> None:
    _bup_then_methadone(world, timedelta(hours=25))
    assert DoseRecord.objects.filter(patient=world.alice, medication="methadone").exists()


# --- Hole 5: a QTc of 500 ms or more stays in force until a newer ECG ---


def _on_sixty_for_forty_days(world: World) -> None:
    today = local_today(world.alice, timezone.now())
    first = _order(world, "60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(40, 0, -1)], 60)


def _qtc_on(world: World, ms: int, days_ago: int) -> None:
    today = local_today(world.alice, timezone.now())
    record_qtc(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        qtc_ms=ms,
        measured_on=today - timedelta(days=days_ago),
    )


def test_the_record_still_shows_the_dose_review_notice_for_an_old_560(world: World) -> None:
    _on_sixty_for_forty_days(world)
    _qtc_on(world, 560, 90)
    row = dose_review_qtc(world.alice.pk, timezone.now())
    assert row is not None and row.qtc_ms == 560


def test_the_api_refuses_the_raise_on_an_old_560(world: World) -> None:
    _on_sixty_for_forty_days(world)
    _qtc_on(world, 560, 45)
    assert _post_order(world, "100").status_code == 422  # type: ignore[attr-defined]


def test_a_newer_normal_ecg_clears_the_old_560_and_an_old_normal_one_is_not_current(world: World) -> None:
    _on_sixty_for_forty_days(world)
    _qtc_on(world, 560, 60)
    _qtc_on(world, 430, 45)  # the newer ECG: the interval corrected, itself older than the window
    today = local_today(world.alice, timezone.now())
    assert recent_qtc(world.alice, today) is None
    _order(world, "70")  # no reason asked


# --- Hole 6: a restart after a re-induction gap is a start for the QTc gate ---


def _gap_then_560(world: World) -> MedicationOrder:
    today = local_today(world.alice, timezone.now())
    order = _order(world, "80")
    given_daily(world, order, [today - timedelta(days=n) for n in range(60, 25, -1)], 80)
    _qtc(world, 560)
    return order


def test_a_rewrite_during_the_gap_on_the_560_is_a_start_and_needs_the_reason(world: World) -> None:
    _gap_then_560(world)
    with pytest.raises(TreatmentInvalid) as raised:
        _order(world, "30")  # lower than the old order, but a start after 25 days away
    assert "override_reason" in {e.field for e in raised.value.errors}
    _order(world, "30", QTC_REASON)
    assert _last(world).raised_from_mg == 0


def test_the_day_after_the_restart_the_level_is_what_was_given_since(world: World) -> None:
    order = _gap_then_560(world)
    today = local_today(world.alice, timezone.now())
    restart = today - timedelta(days=1)
    DoseRecord.objects.create(  # yesterday's restart dose, 30 mg (a prescriber's override then)
        patient=world.alice,
        order=order,
        medication="methadone",
        local_date=restart,
        sequence=1,
        status=DoseStatus.GIVEN,
        amount_mg=Decimal(30),
        treatment_day=36,
        decision={},
        recorded_by=world.staff["nurse"],
        recorded_at=datetime.combine(restart, time(10), tzinfo=ZoneInfo(world.alice.program.time_zone)),
    )
    add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg="40",
        reason="titrating after the restart, forty milligrams today as reassessed",
    )
    assert _dose(world, "40") == NEEDS_NEW_ORDER  # above the 30 mg given since the restart, on 560 ms


def test_the_restart_written_with_the_reason_is_rewritten_carrying_it(world: World) -> None:
    """The prescriber weighed the 560 on the restart: re-writing that restart (a note) needs no new reason."""
    _gap_then_560(world)
    _order(world, "30", QTC_REASON)
    _order(world, "30")
    assert (_last(world).raised_from_mg, _last(world).qtc_reason) == (0, QTC_REASON)
