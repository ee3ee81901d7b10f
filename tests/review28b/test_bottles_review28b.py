"""Review 28b (an OTP pharmacist with a dosing nurse): take-home bottles across corrections, voids, window
doses and bottles brought back, read by every reader (bottles at home, the call-back list, FHIR)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import record_bundle
from keel.patients.models import local_today
from keel.treatment.models import DoseRecord, DoseStatus
from keel.treatment.queries import bottles_at_home, plan_days
from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.take_homes.ending import record_bottles_brought_back
from tests.conftest import World
from tests.factories import (
    corrected,
    handed_out_today,
    handed_out_yesterday,
    held_then_released,
    prescriber_ends,
)

BROUGHT_BACK = "Brought back unopened at the window today; checked the seal."


def _dispenses(world: World) -> dict[str, dict[str, Any]]:
    bundle = record_bundle(
        world.alice, frozenset(Area), timezone.now(), Base("https://keel.example/fhir/R4/")
    )
    return {
        e["resource"]["id"]: e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationDispense"
    }


def _brought_back(world: World, plan_id: int, *days: object) -> None:
    record_bottles_brought_back(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        plan_id=plan_id,
        reason=BROUGHT_BACK,
        returned_days=[str(d) for d in days],
    )


def test_void_yesterday_window_dose_today_then_back_up_gives_today_twice(world: World) -> None:
    """The nurse: yesterday Alice took 80 mg and her bottles for today and tomorrow went home. This morning
    the nurse voids yesterday's dose (wrong person's row, she thinks); the record takes the bottles back and
    the window gives Alice 80 mg today (the supply check does not count a bottle whose dose no longer stands).
    Then the pump log shows yesterday's 80 mg was right; the nurse corrects yesterday's dose back to 80.
    What went wrong: the plan goes on over today: today is a take-home day again with its bottle recorded at
    home, beside the 80 mg given at the window today (two doses for one day), and the nurse is told nobody
    needs to call her back. Right: today's window dose stands, so today's bottle is not a take-home dose
    again (the plan does not cover today, or today's bottle stays on the call-back list)."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    corrected(world, dose, void=True)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    assert DoseRecord.objects.filter(patient=world.alice, local_date=today, status=DoseStatus.GIVEN).exists()
    corrected(world, dose, "Pump log shows 80 mg was given yesterday; the void was wrong.", corrected_mg="80")
    plan.refresh_from_db()
    home_today = today in bottles_at_home(world.alice, today).get(plan.pk, {})
    called_back = today in call_back(world.alice, today).get(plan.pk, {})
    # a window dose today and today's bottle at home as a take-home dose: never both
    assert not (today in plan_days(plan) and home_today), (plan.ended_on, plan.bottle_mg)
    assert not home_today or called_back


def test_void_yesterday_bottle_brought_back_fhir_says_never_picked_up(world: World) -> None:
    """The nurse: yesterday's 80 mg dose (with which the bottles for today and tomorrow went home) is voided;
    the call-back list names both bottles; Alice brings tomorrow's bottle back unopened and the nurse records
    it brought back (the page and the call-back list now say it is on the shelf). What went wrong: FHIR sends
    tomorrow's bottle as `cancelled` ("not and will never be picked up"), as if it never left, while the
    record says it was brought back (a same-day 0 then brought back sends `stopped`). Right: `stopped`, as
    every bottle recorded brought back."""
    plan, dose = handed_out_yesterday(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    corrected(world, dose, void=True)
    _brought_back(world, plan.pk, tomorrow)
    plan.refresh_from_db()
    assert tomorrow.isoformat() in plan.returned_days
    assert tomorrow not in call_back(world.alice, local_today(world.alice)).get(plan.pk, {})
    res = _dispenses(world)[f"bottle-{plan.pk}-{tomorrow:%Y%m%d}"]
    assert res["status"] == "stopped", res


def test_zero_then_bottle_back_then_back_up_end_still_says_nothing_given(world: World) -> None:
    """The nurse: today Alice took 80 mg and her bottles for tomorrow and the day after went home; the nurse
    corrects today's dose to 0 (typo), Alice brings tomorrow's bottle back, then the nurse corrects today's
    dose back to 80 (the pump log). The plan rightly stays stopped (tomorrow's bottle is on the shelf) and
    the day after's bottle is at home with a standing dose. What went wrong: the plan's end still says
    "nothing given" (`end_kind` NOTHING_GIVEN, the reason "no dose given today stands"), which is false:
    80 mg stands today; and a plan ended by nothing given today is read as one a dose later today hands out
    again. Right: the end says what stopped the plan now (bottles brought back / kept back), not nothing
    given."""
    plan, dose = handed_out_today(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="0")
    _brought_back(world, plan.pk, today + timedelta(days=1))
    corrected(world, dose, "Pump log: 80 mg was given.", corrected_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is not None
    assert plan.end_kind != "nothing_given", (plan.end_kind, plan.end_reason)
    assert "no dose given today" not in plan.end_reason.lower(), plan.end_reason


def test_zero_yesterday_window_today_then_40_then_80_gives_today_twice(world: World) -> None:
    """The nurse: yesterday Alice took 80 mg and her bottles for today and tomorrow went home. This morning
    yesterday's dose is corrected to 0 (a typo, the nurse thinks); the window gives Alice 80 mg today. The
    pump log is read in two steps: yesterday's dose corrected to 40 (the run is kept back; today's and
    tomorrow's bottles are at home and on the call-back list, rightly: she was dosed at the window today),
    then to 80. What went wrong: the kept-back plan goes on (`_go_on_after_kept_back`): today is a take-home
    day again, today's bottle leaves the call-back list, and the nurse is told the bottles were handed out
    with this dose, beside the 80 mg Alice drank at the window today (two doses for one day). Right: a day
    dosed at the window is never covered by a take-home bottle again; today's bottle stays called back."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    corrected(world, dose, corrected_mg="0")
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    corrected(world, dose, "Pump log: 40 mg was given yesterday.", corrected_mg="40")
    assert today in call_back(world.alice, today).get(plan.pk, {})
    corrected(world, dose, "Pump log read again: 80 mg was given yesterday.", corrected_mg="80")
    plan.refresh_from_db()
    home_today = today in bottles_at_home(world.alice, today).get(plan.pk, {})
    assert not (today in plan_days(plan) and home_today), (plan.ended_on, plan.bottle_mg)
    assert not home_today or today in call_back(world.alice, today).get(plan.pk, {})


def test_prescriber_end_kept_then_bottle_back_void_and_back_up_loses_the_end(world: World) -> None:
    """The nurse: yesterday Alice took 80 mg and her bottles for today and tomorrow went home. The prescriber
    ends take-homes from tomorrow (today's bottle stays a take-home dose); Alice brings tomorrow's bottle
    back and the nurse records it. Then yesterday's dose is corrected to 0 (a typo) and, the pump log read,
    back to 80. What went wrong: the voided end written over the prescriber's (`earlier_end`) is never given
    back when a bottle of the run is on the shelf (`_after_voided` returns at `on_shelf` before restoring
    it): the plan stays ended yesterday with the void's end, so today is no longer a take-home day, today's
    bottle (left with a dose that stands, under the prescriber's plan) is put on the call-back list, and the
    nurse is told both that the plan stays stopped and that today's bottle was handed out. Right: the
    prescriber's end comes back whole (the plan covers today, ended by the prescriber), tomorrow's bottle
    stays on the shelf, and nobody is called back for today's bottle, as before the typo."""
    plan, dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    tomorrow = today + timedelta(days=1)
    prescriber_ends(
        world, plan, "Relapse reported: no take-home doses from tomorrow.", from_day=tomorrow.isoformat()
    )
    _brought_back(world, plan.pk, tomorrow)
    assert call_back(world.alice, today) == {}
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, "Pump log: 80 mg was given yesterday.", corrected_mg="80")
    plan.refresh_from_db()
    assert tomorrow.isoformat() in plan.returned_days
    assert (plan.ended_on, plan.end_kind) == (today, "prescriber"), (plan.ended_on, plan.end_kind)
    assert today in plan_days(plan)
    assert call_back(world.alice, today) == {}


def test_hold_bottle_back_then_zero_fhir_says_never_picked_up(world: World) -> None:
    """The nurse: today Alice took 80 mg and her bottles for tomorrow and the day after went home; later today
    she is held (sedated) and the prescriber releases the hold; she brings tomorrow's bottle back and the
    nurse records it (FHIR: `stopped`). Then the nurse corrects today's dose to 0 (a typo). What went wrong:
    FHIR now sends tomorrow's bottle, recorded brought back, as `cancelled` ("never picked up"): the same
    day, so hole 2 is not about earlier days only. Right: `stopped`, whatever happened to the dose since."""
    plan, dose = handed_out_today(world)
    tomorrow = local_today(world.alice) + timedelta(days=1)
    held_then_released(world)
    _brought_back(world, plan.pk, tomorrow)
    assert _dispenses(world)[f"bottle-{plan.pk}-{tomorrow:%Y%m%d}"]["status"] == "stopped"
    corrected(world, dose, corrected_mg="0")
    res = _dispenses(world)[f"bottle-{plan.pk}-{tomorrow:%Y%m%d}"]
    assert res["status"] == "stopped", res["status"]
