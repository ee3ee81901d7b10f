"""Lane fix28b (review 28b holes 1, 4 and 5): a run day on which a dose at the window stands is never a
take-home day again, whichever path would re-cover it (a void undone, a keep back gone on, a take-back undone,
a prescriber's end restored, bottles restored after an end, a hold), the program in America/New_York at any
hour. Every test checks the four views together: the plan's days (the page and the window), the call-back
list (the page says it), the supply check and FHIR; and the nurse's words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import record_bundle
from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.queries.take_home_plans import call_back, dosed_at_window, held_bottles
from keel.treatment.services.doses.bottles import (
    TAKE_BACK_UNDONE,
    WINDOW_DOSED_CALL_BACK,
)
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World, sign_in
from tests.factories import (
    corrected,
    handed_out_yesterday,
    held_then_released,
    last_five_pm_utc,
    prescriber_ends,
)

PUMP = "Pump log: 80 mg was given yesterday; the correction was wrong."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(last_five_pm_utc(), tick=False):
        yield


def _window_80(world: World) -> None:
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")


def _said(amendment: DoseAmendment) -> list[str]:
    return [r.template for r in amendment.warnings]


def _four_views_agree(world: World, plan: TakeHomePlan, day: date) -> None:
    """`day` was dosed at the window: not a take-home day (plan days), its bottle at home on the call-back
    list (the page says so), counted by the supply check as in her hands, and FHIR sends it handed over."""
    plan.refresh_from_db()
    today = local_today(world.alice)
    assert dosed_at_window(world.alice.pk, [day]) == [day]
    assert day not in plan_days(plan), (plan.ended_on, plan.end_kind)
    assert plan.ended_on is not None and plan.ended_on < day
    assert day in call_back(world.alice, today).get(plan.pk, {}), call_back(world.alice, today)
    assert day in held_bottles(world.alice, None, today).get(plan.pk, set())
    bundle = record_bundle(
        world.alice, frozenset(Area), timezone.now(), Base("https://keel.example/fhir/R4/")
    )
    res = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["id"] == f"bottle-{plan.pk}-{day:%Y%m%d}"
    )
    assert res["status"] == "completed", res
    client = sign_in(Client(), world.staff["nurse"])
    page = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
    assert "call-back" in page


def _told_call_back(amendment: DoseAmendment, day: date) -> None:
    said = _said(amendment)
    assert WINDOW_DOSED_CALL_BACK in said and TAKE_BACK_UNDONE not in said, said
    text = " ".join(r.text for r in amendment.warnings)
    assert day.isoformat() in text and "nobody needs to call" not in text


def _void_window_back_up(world: World) -> None:
    """Yesterday's handed-out dose voided, 80 mg at the window today, then yesterday's dose back up to 80:
    the nurse is told to call back, and the four views agree."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    corrected(world, dose, void=True)
    _window_80(world)
    _told_call_back(corrected(world, dose, PUMP, corrected_mg="80"), today)
    _four_views_agree(world, plan, today)


def test_void_window_back_up(world: World) -> None:
    _void_window_back_up(world)


def test_zero_window_40_then_80(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="0")
    _window_80(world)
    corrected(world, dose, "Pump log: 40 mg.", corrected_mg="40")
    _told_call_back(corrected(world, dose, PUMP, corrected_mg="80"), today)
    _four_views_agree(world, plan, today)


def test_zero_window_80_zero_80(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="0")
    _window_80(world)
    corrected(world, dose, PUMP, corrected_mg="80")
    corrected(world, dose, "Pump log read again: nothing given.", corrected_mg="0")
    corrected(world, dose, PUMP, corrected_mg="80")
    _four_views_agree(world, plan, today)


def test_prescribers_end_restored_never_over_the_window_day(world: World) -> None:
    """The prescriber ended from tomorrow (today covered); yesterday's dose voided, she is dosed at the
    window today, then yesterday's dose stands again: the prescriber's end comes back in the reason, but the
    plan ends before today."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    prescriber_ends(
        world, plan, "No take-home doses from tomorrow.", from_day=(today + timedelta(days=1)).isoformat()
    )
    corrected(world, dose, void=True)
    _window_80(world)
    _told_call_back(corrected(world, dose, PUMP, corrected_mg="80"), today)
    _four_views_agree(world, plan, today)
    plan.refresh_from_db()
    assert "No take-home doses from tomorrow." in plan.end_reason


def test_a_hold_today_then_back_up(world: World) -> None:
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="0")
    held_then_released(world)
    _window_80(world)
    corrected(world, dose, PUMP, corrected_mg="80")
    _four_views_agree(world, plan, today)


def test_take_back_from_today_undone_after_the_window(world: World) -> None:
    """T-2's 80 mg sent home T-1, today and T+1; T-2 corrected down (take-back from today); she hands
    today's bottle back at the window and is dosed; T-2 back up: today stays a clinic day, tomorrow's bottle
    stays called back (probe 27's path, with the one guard)."""
    from tests.review24b.test_holes import _correct, _three_bottles_from_yesterday

    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40", bottle_returned=True)
    _correct(world, today - timedelta(days=2), "80")
    plan.refresh_from_db()
    assert today not in plan_days(plan)
    assert today + timedelta(days=1) in call_back(world.alice, today).get(plan.pk, {})


@pytest.mark.parametrize("local", [(23, 50), (0, 10)])
def test_new_york_near_midnight(world: World, local: tuple[int, int]) -> None:
    """The same void -> window -> back up with the clock at 23:50 and 00:10 in New York (the program's day
    is not UTC's)."""
    from zoneinfo import ZoneInfo

    assert world.alice.program.time_zone == "America/New_York"
    base = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).date() - timedelta(days=3)
    at = datetime(base.year, base.month, base.day, *local, tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(at, tick=False):
        _void_window_back_up(world)


def test_prescribers_end_beside_a_bottle_on_the_shelf_one_message(world: World) -> None:
    """Review 28b hole 5: the prescriber's end (today covered), tomorrow's bottle brought back, yesterday's
    dose to 0 and back to 80: the nurse hears one message, today's bottle covered again (not "the plan stays
    stopped" beside it), and tomorrow's bottle stays on the shelf off every list."""
    from keel.treatment.services.doses.bottles import ON_SHELF
    from keel.treatment.services.take_homes.ending import record_bottles_brought_back

    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    tomorrow = today + timedelta(days=1)
    prescriber_ends(world, plan, "No take-home doses from tomorrow.", from_day=tomorrow.isoformat())
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Brought back unopened.",
        returned_days=[tomorrow.isoformat()],
    )
    corrected(world, dose, corrected_mg="0")
    said = corrected(world, dose, PUMP, corrected_mg="80").warnings
    assert [r.template for r in said] == [TAKE_BACK_UNDONE], said
    assert ON_SHELF not in [r.template for r in said]
    assert today.isoformat() in said[0].text and tomorrow.isoformat() not in said[0].text
    plan.refresh_from_db()
    assert today in plan_days(plan) and tomorrow not in plan_days(plan)
    assert call_back(world.alice, today) == {}
    assert tomorrow not in held_bottles(world.alice, None, today).get(plan.pk, set())
