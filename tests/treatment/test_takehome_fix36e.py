"""Lane fix36e: take-home bottles and the methadone she has had (three holes left from session 34).

- Item 1: "methadone she has had as of a time" is one definition (`readiness.methadone_times`, read by the
  readiness's last use and the induction's switch check): the doses given at the window and only the
  bottles that left the clinic with her (`take_home_plans.bottles_at_home`: handed out at a dose that
  stands, not brought back). A bottle that never left (no dose on its hand-out day) or was brought back
  unopened is not methadone she had (lane fix36j: one recorded as handed out whose dose was voided since
  still is, until recorded brought back).
- Item 2: a second window dose after a same-day correction up reads the corrected amount in the day's total
  and the re-dose interval from the first dose's time.
- Item 3: buprenorphine on a day a methadone bottle of hers is scheduled (it left with her) waits: the bottle
  day is methadone that day unless it is recorded brought back."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.patients.models import local_today, zone_of
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.readiness import buprenorphine_readiness, methadone_times, read_last_uses
from keel.treatment.services.policy import set_value
from keel.treatment.services.take_homes.ending import end_take_home_plan
from tests.conftest import World, sign_in
from tests.factories import (
    corrected,
    given_daily,
    given_on,
    handed_out_yesterday,
    methadone_with_take_home_plan,
)
from tests.treatment.test_redose_override_meth35 import blocked, words
from tests.treatment.test_start_guards import cows
from tests.treatment.test_titration_meth35 import at, give, override, prescribe

pytestmark = pytest.mark.django_db


def _now() -> datetime:
    return timezone.now()


def _never_left(world: World) -> TakeHomePlan:
    """Alice dosed 80 mg at the window up to three days ago; a plan with bottles for yesterday and today
    whose hand-out day (two days ago) had no observed dose: the bottles never left the clinic."""
    plan, _first = methadone_with_take_home_plan(world, _now() - timedelta(days=3), days_earlier=2)
    return plan


def _last_dose_at(world: World) -> datetime:
    return max(
        DoseRecord.objects.filter(patient=world.alice, medication="methadone").values_list(
            "recorded_at", flat=True
        )
    )


# --- Item 1: only bottles that left with her --------------------------------------------------------------


def test_a_bottle_that_left_is_her_last_methadone(world: World) -> None:
    handed_out_yesterday(world)
    now = _now()
    assert read_last_uses(world.alice, now).uses["methadone"].source == "take_home"


def test_a_bottle_that_left_for_today_reads_as_now(world: World) -> None:
    handed_out_yesterday(world)
    now = _now()
    assert read_last_uses(world.alice, now).uses["methadone"].at == now


def test_a_bottle_that_never_left_is_not_her_last_methadone(world: World) -> None:
    _never_left(world)
    assert read_last_uses(world.alice, _now()).uses["methadone"].source == "dose"


def test_a_bottle_that_never_left_leaves_the_last_dose_as_her_last_methadone(world: World) -> None:
    _never_left(world)
    assert read_last_uses(world.alice, _now()).uses["methadone"].at == _last_dose_at(world)


def test_methadone_times_leave_out_a_bottle_that_never_left(world: World) -> None:
    _never_left(world)
    now = _now()
    since = local_today(world.alice) - timedelta(days=1)
    assert methadone_times(world.alice, since, now) == []


def test_methadone_times_count_a_bottle_that_left(world: World) -> None:
    handed_out_yesterday(world)
    now = _now()
    assert now in methadone_times(world.alice, local_today(world.alice), now)


def _voided_hand_out(world: World) -> None:
    """Yesterday's dose, with which today's and tomorrow's bottles went home, voided (lane fix36j: the
    bottles recorded as handed out still count until recorded brought back)."""
    _plan, dose = handed_out_yesterday(world)
    corrected(world, dose, void=True)


def test_a_bottle_whose_dose_was_voided_is_still_her_last_methadone(world: World) -> None:
    # lane fix36j item 1 (decided): a bottle recorded as handed out counts until recorded brought back
    _voided_hand_out(world)
    assert read_last_uses(world.alice, _now()).uses["methadone"].source == "take_home"


def test_methadone_times_count_a_bottle_whose_dose_was_voided(world: World) -> None:
    # lane fix36j item 1 (decided): a bottle recorded as handed out counts until recorded brought back
    _voided_hand_out(world)
    now = _now()
    assert now in methadone_times(world.alice, local_today(world.alice), now)


def _brought_back(world: World) -> None:
    """Today's and tomorrow's bottles went home yesterday and were brought back unopened this morning."""
    plan, _dose = handed_out_yesterday(world)
    today = local_today(world.alice)
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Brought both bottles back unopened, seals intact, switching to buprenorphine",
        from_day=today.isoformat(),
        returned_days=[today.isoformat(), (today + timedelta(days=1)).isoformat()],
    )


def test_a_bottle_brought_back_unopened_is_not_her_last_methadone(world: World) -> None:
    _brought_back(world)
    assert read_last_uses(world.alice, _now()).uses["methadone"].source == "dose"


def test_methadone_times_leave_out_a_bottle_brought_back(world: World) -> None:
    _brought_back(world)
    assert methadone_times(world.alice, local_today(world.alice), _now()) == []


def test_a_bottle_of_a_plan_ended_after_it_left_is_still_her_last_methadone(world: World) -> None:
    plan, _dose = handed_out_yesterday(world)
    plan.ended_on = local_today(world.alice) - timedelta(days=1)
    plan.ended_at = _now() - timedelta(hours=1)
    plan.end_reason = "Ended by the prescriber after a relapse"
    plan.save()
    assert read_last_uses(world.alice, _now()).uses["methadone"].source == "take_home"


def _bup_order_and_cows(world: World, at: datetime) -> None:
    with time_machine.travel(at - timedelta(hours=2), tick=False):
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="buprenorphine", dose_mg="4"
        )
    cows(world, at - timedelta(minutes=10))


def test_a_start_waits_on_a_bottle_that_left_for_yesterday(world: World) -> None:
    """Bottles for yesterday and today left two days ago; she starts buprenorphine this morning: her last
    methadone is yesterday's bottle (the end of its day), not the dose two days before."""
    plan, first = methadone_with_take_home_plan(world, _now() - timedelta(days=3), days_earlier=2)
    order = MedicationOrder.objects.filter(patient=world.alice, medication="methadone").latest("id")
    given_on(world, order, first - timedelta(days=1), 80, 9)
    plan.bottle_mg = {d: "80.00" for d in plan.bottles}
    plan.save(update_fields=["bottle_mg"])
    read = buprenorphine_readiness(world.alice, _now())
    assert read.uses is not None and read.uses.uses["methadone"].source == "take_home"


def test_the_start_does_not_wait_on_a_bottle_that_never_left(world: World) -> None:
    """The same bottles never left (no dose two days ago): her last methadone is three days ago."""
    _never_left(world)
    read = buprenorphine_readiness(world.alice, _now())
    assert read.uses is not None and read.uses.uses["methadone"].at == _last_dose_at(world)


# --- Item 3: buprenorphine on a bottle day ---------------------------------------------------------------


def _bottle_today_and_ready_otherwise(world: World) -> datetime:
    """Today's bottle went home yesterday; a buprenorphine order and a fresh COWS; the time of the dose."""
    handed_out_yesterday(world)
    zone = zone_of(world.alice)
    when = datetime.combine(local_today(world.alice), time(11), tzinfo=zone)
    _bup_order_and_cows(world, when)
    return when


def test_buprenorphine_on_a_bottle_day_is_refused_at_the_window(world: World) -> None:
    when = _bottle_today_and_ready_otherwise(world)
    with time_machine.travel(when, tick=False), pytest.raises(services.DoseBlocked) as exc:
        services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, medication="buprenorphine", amount_mg="4"
        )
    assert exc.value.decision.decision == "not_ready"


def test_buprenorphine_on_a_bottle_day_reads_the_bottle_as_methadone_today(world: World) -> None:
    when = _bottle_today_and_ready_otherwise(world)
    read = buprenorphine_readiness(world.alice, when)
    assert read.uses is not None and read.uses.uses["methadone"].at == when


def test_buprenorphine_on_a_bottle_day_is_refused_by_the_api(world: World) -> None:
    when = _bottle_today_and_ready_otherwise(world)
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"medication": "buprenorphine", "amount_mg": "4"},
            content_type="application/json",
        )
    assert response.status_code != 201


def test_buprenorphine_on_a_bottle_day_brought_back_reads_the_last_dose(world: World) -> None:
    _brought_back(world)
    read = buprenorphine_readiness(world.alice, _now())
    assert read.uses is not None and read.uses.uses["methadone"].source == "dose"


def test_buprenorphine_the_day_after_a_first_dose_on_a_bottle_day_is_refused(world: World) -> None:
    """Day 2 of an induction (buprenorphine yesterday afternoon, after yesterday's methadone): today's bottle
    left with her, so today's dose follows methadone (the switch check, `methadone_times`) and waits."""
    when = _bottle_today_and_ready_otherwise(world)
    order = MedicationOrder.objects.filter(patient=world.alice, medication="buprenorphine").latest("id")
    yesterday = local_today(world.alice) - timedelta(days=1)
    given_on(
        world, order, yesterday, 4, 1, at=datetime.combine(yesterday, time(17), tzinfo=zone_of(world.alice))
    )
    with time_machine.travel(when, tick=False), pytest.raises(services.DoseBlocked) as exc:
        services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, medication="buprenorphine", amount_mg="4"
        )
    assert exc.value.decision.decision == "not_ready"


# --- Item 2: a second window dose after a same-day correction up ----------------------------------------


def _on_sixty(world: World) -> date:
    """Methadone 60 mg written twelve days ago, 60 mg taken at the window on each of the ten days before
    today (rows: the history); today."""
    today = local_today(world.alice)
    order = prescribe(world, "60", at(world, today - timedelta(days=12), 7))
    given_daily(world, order, [today - timedelta(days=n) for n in range(10, 0, -1)], 60)
    return today


SPLIT = "Split dose: rapid metabolizer, peak and trough ECG reviewed, plan discussed with the person"


def _corrected_up_today(world: World) -> tuple[date, DoseRecord]:
    """Methadone 60 mg a day for three days under an order of 60 mg, a 3 h re-dose interval; today 40 mg
    at 09:00, corrected up to 60 mg at 10:30 (the pump log). Today and the dose."""
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="methadone-dose-check",
        field="redose_min_hours",
        value=3,
        reason="program decision after the medical director's review",
    )
    today = _on_sixty(world)
    dose = give(world, "40", at(world, today, 9)).dose
    with time_machine.travel(at(world, today, 10, 30), tick=False):
        corrected(world, dose, corrected_mg="60")
    return today, dose


def test_a_second_dose_after_a_correction_up_reads_the_corrected_total(world: World) -> None:
    today, _dose = _corrected_up_today(world)
    assert blocked(world, "20", at(world, today, 12, 30)).decision.decision == "needs_override"


def test_the_refusal_names_the_days_total_with_the_corrected_amount(world: World) -> None:
    today, _dose = _corrected_up_today(world)
    assert "80" in words(blocked(world, "20", at(world, today, 12, 30)))


def test_the_api_refuses_a_second_dose_past_the_order_after_a_correction_up(world: World) -> None:
    today, _dose = _corrected_up_today(world)
    with time_machine.travel(at(world, today, 12, 30), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"medication": "methadone", "amount_mg": "20"},
            content_type="application/json",
        )
    assert response.status_code != 201


def test_the_re_dose_interval_counts_from_the_time_given_not_the_correction(world: World) -> None:
    """On a limit override of 80 mg, 20 mg at 12:10 is 3 h 10 after the dose given at 09:00 (1 h 40 after
    its correction): the interval is met."""
    today, _dose = _corrected_up_today(world)
    override(world, at(world, today, 11), max_total_mg="80", reason=SPLIT)
    assert give(world, "20", at(world, today, 12, 10)).dose.amount_mg == 20


def test_the_re_dose_interval_from_the_time_given_still_holds_a_dose_too_soon(world: World) -> None:
    today, _dose = _corrected_up_today(world)
    override(world, at(world, today, 11), max_total_mg="80", reason=SPLIT)
    assert blocked(world, "20", at(world, today, 11, 30)).decision.decision == "needs_override"


def test_a_correction_up_after_a_second_dose_reads_the_days_total(world: World) -> None:
    """40 at 09:00 and 20 at 12:10 on a limit override of 60 (the order's dose); the first then corrected up
    to 60: the day's total would be 80, past the order and the override: refused."""
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="methadone-dose-check",
        field="redose_min_hours",
        value=3,
        reason="program decision after the medical director's review",
    )
    today = _on_sixty(world)
    dose = give(world, "40", at(world, today, 9)).dose
    give(world, "20", at(world, today, 12, 10))
    with time_machine.travel(at(world, today, 13), tick=False), pytest.raises(TreatmentInvalid) as exc:
        corrected(world, dose, corrected_mg="60")
    assert "today's total 80 mg, more than the order" in str(exc.value)
