"""Review 23b, attacked: variants of the four take-home bottle holes fixed by lane fix23b.

A keep back (a plan ended today by a split dose's first part) is the one end a later dose today undoes: never
after a hold today (released or not, of any medication), never over a prescriber's end. A day whose bottle
never left the clinic is a clinic day: the window, its page and the API give her observed dose. One fact per
assertion; dates relative to today (the suite runs under moved clocks)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from django.test import Client

from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.services import PlanAlreadyEnded
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import held_then_released, prescriber_ends
from tests.review23b.test_holes import _morning, _on_80_with_plan

pytestmark = pytest.mark.django_db
RELAPSE = "Relapse reported today: no take-home doses until the team reviews"


def _kept_back(world: World, offsets: list[int]) -> tuple[datetime, date, TakeHomePlan, DoseRecord]:
    """Alice on 80 mg with a plan covering `offsets`; a first part of 40 mg at 09:00 keeps the run back."""
    now = _morning(world)
    today, plan = _on_80_with_plan(world, now, offsets)
    first = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40", now=now).dose
    plan.refresh_from_db()
    return now, today, plan, first


def _second_part(world: World, at: datetime, mg: str = "40") -> DoseRecord:
    return record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg=mg, now=at).dose


def _covers(plan: TakeHomePlan, day: date) -> bool:
    plan.refresh_from_db()
    return day in plan_days(plan)


# Hole 1: a hold today, released, never brings a kept-back plan back


def test_a_correction_up_after_a_released_hold_does_not_resume_the_plan(world: World) -> None:
    now, today, plan, first = _kept_back(world, [1, 2, 5, 6])
    held_then_released(world, now + timedelta(minutes=30))
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=first.pk,
        corrected_mg="80",
        reason="The whole 80 mg was given at 09:00; the 40 mg was a typing slip",
        now=now + timedelta(hours=2),
    )
    assert not _covers(plan, today + timedelta(days=5))


def test_a_correction_up_after_a_released_hold_hands_no_bottle_out(world: World) -> None:
    now, today, plan, first = _kept_back(world, [1, 2, 5, 6])
    held_then_released(world, now + timedelta(minutes=30))
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=first.pk,
        corrected_mg="80",
        reason="The whole 80 mg was given at 09:00; the 40 mg was a typing slip",
        now=now + timedelta(hours=2),
    )
    plan.refresh_from_db()
    assert (today + timedelta(days=1)).isoformat() not in plan.bottle_mg


def test_a_released_hold_of_another_medication_also_stops_the_resume(world: World) -> None:
    now, today, plan, _first = _kept_back(world, [1, 2, 5, 6])
    prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="4",
        now=now + timedelta(minutes=10),
    )
    held_then_released(world, now + timedelta(minutes=30), medication="buprenorphine")
    _second_part(world, now + timedelta(hours=2))
    assert not _covers(plan, today + timedelta(days=1))


def test_without_a_hold_the_second_part_still_resumes_the_kept_back_plan(world: World) -> None:
    now, today, plan, _first = _kept_back(world, [1, 2, 5, 6])
    _second_part(world, now + timedelta(hours=2))
    assert _covers(plan, today + timedelta(days=5))


# A second part the next morning, two parts and a void


def test_a_dose_the_next_morning_leaves_the_kept_back_plan_ended_today(world: World) -> None:
    now, today, plan, _first = _kept_back(world, [1, 2, 5])
    _second_part(world, now + timedelta(days=1))
    plan.refresh_from_db()
    assert plan.ended_on == today


def test_the_window_gives_the_dose_the_next_morning_after_a_keep_back(world: World) -> None:
    now, _today, _plan, _first = _kept_back(world, [1, 2, 5])
    assert _second_part(world, now + timedelta(days=1)).amount_mg == 40  # the last day's total: no raise


def test_two_parts_then_a_void_of_the_second_keeps_the_run_back_again(world: World) -> None:
    now, today, plan, _first = _kept_back(world, [1, 2, 5])
    second = _second_part(world, now + timedelta(hours=2))
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=second.pk,
        void=True,
        reason="Recorded in error: the second part was not given",
        now=now + timedelta(hours=3),
    )
    assert not _covers(plan, today + timedelta(days=1))


def test_two_parts_then_a_void_of_both_ends_the_plan_today(world: World) -> None:
    now, today, plan, first = _kept_back(world, [1, 2, 5])
    second = _second_part(world, now + timedelta(hours=2))
    for n, dose in enumerate((second, first)):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            void=True,
            reason="Recorded in error: she was not dosed today at all",
            now=now + timedelta(hours=3 + n),
        )
    plan.refresh_from_db()
    assert plan.ended_on == today


def test_two_parts_voided_then_the_window_doses_her_tomorrow(world: World) -> None:
    now, _today, _plan, first = _kept_back(world, [1, 2, 5])
    second = _second_part(world, now + timedelta(hours=2))
    for n, dose in enumerate((second, first)):
        amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            void=True,
            reason="Recorded in error: she was not dosed today at all",
            now=now + timedelta(hours=3 + n),
        )
    assert _second_part(world, now + timedelta(days=1), mg="80").amount_mg == 80


# Hole 3: nothing given today ends the plan before tomorrow; a dose given later today undoes it


def _given_then_zero(world: World, offsets: list[int]) -> tuple[datetime, date, TakeHomePlan]:
    now = _morning(world)
    today, plan = _on_80_with_plan(world, now, offsets)
    given = _second_part(world, now, mg="80")
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=given.pk,
        corrected_mg="0",
        reason="She left before drinking the dose: nothing was given and no bottle went home",
        now=now + timedelta(minutes=20),
    )
    plan.refresh_from_db()
    return now, today, plan


def test_a_dose_corrected_to_zero_ends_the_plan_today(world: World) -> None:
    _now, today, plan = _given_then_zero(world, [1, 2])
    assert plan.ended_on == today


def test_she_comes_back_and_drinks_it_the_bottles_go_home(world: World) -> None:
    now, today, plan = _given_then_zero(world, [1, 2])
    _second_part(world, now + timedelta(hours=3), mg="80")
    plan.refresh_from_db()
    assert (today + timedelta(days=1)).isoformat() in plan.bottle_mg


def test_she_comes_back_and_drinks_it_the_plan_covers_tomorrow_again(world: World) -> None:
    now, today, plan = _given_then_zero(world, [1, 2])
    _second_part(world, now + timedelta(hours=3), mg="80")
    assert _covers(plan, today + timedelta(days=1))


def test_a_prescribers_later_end_is_never_undone_by_a_dose_after_a_correction_to_zero(world: World) -> None:
    now = _morning(world)
    today, plan = _on_80_with_plan(world, now, [1, 2, 3])
    TakeHomePlan.objects.filter(pk=plan.pk).update(
        ended_on=today + timedelta(days=2),
        ended_by=world.staff["prescriber"],
        ended_at=now - timedelta(hours=1),
        end_reason="Travel cancelled: no bottle for the third day",
    )
    given = _second_part(world, now, mg="80")
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=given.pk,
        corrected_mg="0",
        reason="She left before drinking the dose: nothing was given and no bottle went home",
        now=now + timedelta(minutes=20),
    )
    _second_part(world, now + timedelta(hours=3), mg="80")
    # lane fix29a (review 29a hole 2): the "nothing given" end written over the prescriber's gives it back
    # whole once a dose stands again today (its day and reason, never later): the days it kept are covered
    plan.refresh_from_db()
    assert (plan.ended_on, plan.end_reason) == (
        today + timedelta(days=2),
        "Travel cancelled: no bottle for the third day",
    )


# Hole 2: the void of yesterday's dose; the window, its page and the API dose her today


def _yesterday_voided(world: World, offsets: list[int]) -> tuple[datetime, date, TakeHomePlan]:
    now = _morning(world)
    today, plan = _on_80_with_plan(world, now, offsets)
    plan.bottle_mg = {(today + timedelta(days=n)).isoformat(): "80" for n in offsets if n >= 0}
    plan.save(update_fields=["bottle_mg"])
    yesterday = DoseRecord.objects.get(patient=world.alice, local_date=today - timedelta(days=1))
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=yesterday.pk,
        void=True,
        reason="Recorded in error: she did not come to the window yesterday",
        now=now,
    )
    plan.refresh_from_db()
    return now, today, plan


def test_the_void_ends_the_plan_on_the_voided_dose_s_day(world: World) -> None:
    _now, today, plan = _yesterday_voided(world, [0, 1])
    assert plan.ended_on == today - timedelta(days=1)


def test_the_dosing_page_gives_her_observed_dose_after_the_void(world: World) -> None:
    _now, today, _plan = _yesterday_voided(world, [0, 1])
    client = sign_in(Client(), world.staff["nurse"])
    client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "80", "medication": "methadone"})
    assert DoseRecord.objects.filter(patient=world.alice, local_date=today, amount_mg=80).exists()


def test_the_api_gives_her_observed_dose_after_the_void(world: World) -> None:
    _yesterday_voided(world, [0, 1])
    client = sign_in(Client(), world.staff["nurse"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/doses",
        json.dumps({"amount_mg": "80", "sequence": 1}),
        content_type="application/json",
    )
    assert response.status_code == 201


def test_the_dosing_page_still_refuses_on_a_day_whose_bottle_went_home(world: World) -> None:
    now = _morning(world)
    today, plan = _on_80_with_plan(world, now, [0, 1])
    plan.bottle_mg = {(today + timedelta(days=n)).isoformat(): "80" for n in (0, 1)}
    plan.save(update_fields=["bottle_mg"])
    client = sign_in(Client(), world.staff["nurse"])
    client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "80", "medication": "methadone"})
    assert not DoseRecord.objects.filter(patient=world.alice, local_date=today).exists()


def test_the_medication_page_shows_the_void_s_end(world: World) -> None:
    _yesterday_voided(world, [0, 1])
    client = sign_in(Client(), world.staff["prescriber"])
    body = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
    assert "they were to go home with was voided" in body


def test_a_void_of_a_run_wholly_past_leaves_the_plan_standing(world: World) -> None:
    now = _morning(world)
    today, plan = _on_80_with_plan(world, now, [-2, 1])
    plan.bottle_mg = {(today - timedelta(days=2)).isoformat(): "80"}
    plan.save(update_fields=["bottle_mg"])
    old = DoseRecord.objects.get(patient=world.alice, local_date=today - timedelta(days=3))
    amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=old.pk,
        void=True,
        reason="Recorded in error: she did not come to the window that day",
        now=now,
    )
    plan.refresh_from_db()
    assert plan.ended_on is None


# Hole 4: a prescriber ends a kept-back plan (service, page, API); the keep back is replaced


def test_the_prescriber_s_end_replaces_the_keep_back_s_reason(world: World) -> None:
    now, _today, plan, _first = _kept_back(world, [1, 2, 5])
    prescriber_ends(world, plan, RELAPSE, now=now + timedelta(minutes=30))
    plan.refresh_from_db()
    assert plan.end_reason == RELAPSE


def test_a_later_from_day_never_moves_the_keep_back_s_end_later(world: World) -> None:
    now, today, plan, _first = _kept_back(world, [1, 2, 5])
    prescriber_ends(
        world,
        plan,
        RELAPSE,
        from_day=(today + timedelta(days=4)).isoformat(),
        now=now + timedelta(minutes=30),
    )
    plan.refresh_from_db()
    assert plan.ended_on == today


def test_a_plan_the_prescriber_ended_is_still_refused_a_second_end(world: World) -> None:
    now, _today, plan, _first = _kept_back(world, [1, 2, 5])
    prescriber_ends(world, plan, RELAPSE, now=now + timedelta(minutes=30))
    with pytest.raises(PlanAlreadyEnded):
        prescriber_ends(world, plan, RELAPSE, now=now + timedelta(minutes=40))


def test_the_medication_page_offers_the_end_form_on_a_kept_back_plan(world: World) -> None:
    _now, _today, plan, _first = _kept_back(world, [1, 2, 5])
    client = sign_in(Client(), world.staff["prescriber"])
    body = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
    assert f'action="/patients/{world.alice.pk}/medication/take-homes/{plan.pk}/end/"' in body


def test_the_page_s_end_of_a_kept_back_plan_is_never_resumed(world: World) -> None:
    now, today, plan, _first = _kept_back(world, [1, 2, 5])
    client = sign_in(Client(), world.staff["prescriber"])
    client.post(f"/patients/{world.alice.pk}/medication/take-homes/{plan.pk}/end/", {"reason": RELAPSE})
    _second_part(world, now + timedelta(hours=2))
    assert not _covers(plan, today + timedelta(days=5))


def test_the_api_ends_a_kept_back_plan(world: World) -> None:
    _now, _today, plan, _first = _kept_back(world, [1, 2, 5])
    client = sign_in(Client(), world.staff["prescriber"])
    response = client.post(
        f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/end",
        json.dumps({"reason": RELAPSE}),
        content_type="application/json",
    )
    assert response.status_code == 200


def test_the_api_s_end_of_a_kept_back_plan_is_never_resumed(world: World) -> None:
    now, today, plan, _first = _kept_back(world, [1, 2, 5])
    client = sign_in(Client(), world.staff["prescriber"])
    client.post(
        f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/end",
        json.dumps({"reason": RELAPSE}),
        content_type="application/json",
    )
    _second_part(world, now + timedelta(hours=2))
    assert not _covers(plan, today + timedelta(days=1))
