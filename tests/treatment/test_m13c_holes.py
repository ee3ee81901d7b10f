"""Review 13 fixes (lane m13c): the ways around each new guard -- another route (page, API), another role, the
same slot twice, a gap just under the policy, a second plan after the first's bottles are used."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.conftest import sign_in
from tests.review13.helpers import ALL_CRITERIA, at, dose, dose_daily, methadone_order
from tests.review13.test_buprenorphine import _cows, _give, _last_use, _order

D0 = date(2026, 11, 2)


def _post_api(world: Any, role: str, path: str, body: dict[str, Any], when: datetime) -> Any:
    with time_machine.travel(when, tick=False):
        client = sign_in(Client(), world.staff[role])
        return client.post(f"/api/v1/patients/{world.alice.pk}/{path}", json.dumps(body), "application/json")


# --- The slot conflict wins over the re-dose interval (the two-thread race, made deterministic) -----------


def test_the_same_slot_twice_is_already_given(world: Any) -> None:
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 3)
    today = D0 + timedelta(days=3)
    dose(world, "30", at(today, 9), sequence=1)
    with pytest.raises(services.DoseConflict):
        dose(world, "30", at(today, 9, 1), sequence=1)


def test_a_stale_read_of_the_day_still_gets_already_given(world: Any, monkeypatch: Any) -> None:
    """The race: the second nurse read the day before the first dose landed. Her slot check passes on the
    stale read, the re-dose interval sees the new dose; she must be told 'already given', not 'too soon'."""
    from keel.treatment import services
    from keel.treatment.models import Medication
    from keel.treatment.queries import dose_context_and_reads
    from keel.treatment.services.doses import window

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 3)
    today = D0 + timedelta(days=3)
    stale = dose_context_and_reads(world.alice, Medication.METHADONE, today, with_other_holds=True)
    dose(world, "30", at(today, 9), sequence=1)
    # the read record_dose makes (the window's one context read), stale: taken before the first dose landed
    monkeypatch.setattr(window, "dose_context_and_reads", lambda *a, **k: stale)
    with pytest.raises(services.DoseConflict):
        dose(world, "30", at(today, 9, 1), sequence=1)


# --- A buprenorphine restart after a gap -------------------------------------------------------------------


def _started(world: Any) -> None:
    first = at(D0, 10)
    _order(world, at(D0, 8))
    _last_use(world, at(D0, 9), heroin=first - timedelta(hours=14))
    _cows(world, first - timedelta(minutes=20))
    _give(world, "4", first)


def test_a_restart_with_a_fresh_ready_verdict_is_given(world: Any) -> None:
    _started(world)
    now = at(D0 + timedelta(days=21), 10)
    _last_use(world, now - timedelta(minutes=30), heroin=now - timedelta(hours=14))
    _cows(world, now - timedelta(minutes=20))
    assert _give(world, "4", now).dose.status == "given"


def test_a_restart_is_gated_without_a_verdict_and_says_it_is_a_restart(world: Any) -> None:
    from keel.treatment import services

    _started(world)
    with pytest.raises(services.DoseBlocked) as exc:
        _give(world, "4", at(D0 + timedelta(days=21), 10))
    assert "restart" in str(exc.value)


def test_a_restart_with_a_prescribers_start_override_is_given(world: Any) -> None:
    from keel.treatment import services

    _started(world)
    now = at(D0 + timedelta(days=21), 10)
    services.add_override(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        max_total_mg="4",
        reason="Assessed in person: objective withdrawal, COWS done on paper, restart now",
        medication="buprenorphine",
        kind="start",
        now=now - timedelta(minutes=5),
    )
    assert _give(world, "4", now).dose.status == "given"


def test_a_restart_meets_the_day_one_limit_again(world: Any) -> None:
    from keel.treatment import services

    _started(world)
    now = at(D0 + timedelta(days=21), 10)
    _last_use(world, now - timedelta(minutes=30), heroin=now - timedelta(hours=14))
    _cows(world, now - timedelta(minutes=20))
    with pytest.raises(services.DoseBlocked):
        _give(world, "12", now)


def test_four_missed_days_is_not_a_restart(world: Any) -> None:
    """Under the default policy (5 days in a row), 4 missed days keep the maintenance dose, no new gate."""
    _started(world)
    assert _give(world, "4", at(D0 + timedelta(days=5), 10)).dose.status == "given"


def test_five_missed_days_is_a_restart(world: Any) -> None:
    from keel.treatment import services

    _started(world)
    with pytest.raises(services.DoseBlocked):
        _give(world, "4", at(D0 + timedelta(days=6), 10))


# --- A held dose corrected into a given one ----------------------------------------------------------------


def _held(world: Any) -> tuple[date, Any]:
    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 5)
    today = D0 + timedelta(days=5)
    return today, dose(world, "", at(today, 9), sedated=True).dose


def test_the_api_refuses_a_nurse_with_403_and_audits_it(world: Any) -> None:
    from keel.audit.models import AuditEvent
    from keel.treatment.models import DoseAmendment

    today, held = _held(world)
    response = _post_api(
        world,
        "nurse",
        f"doses/{held.pk}/amendments",
        {"corrected_mg": "30", "reason": "gave it after all", "correction_version": 0},
        at(today, 9, 5),
    )
    assert response.status_code == 403
    assert not DoseAmendment.objects.filter(dose=held).exists()
    assert AuditEvent.objects.filter(outcome="denied", target_type="dose", target_id=str(held.pk)).exists()


def test_the_page_tells_the_nurse_why_and_saves_nothing(world: Any) -> None:
    from keel.treatment.models import DoseAmendment

    today, held = _held(world)
    with time_machine.travel(at(today, 9, 5), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/medication/doses/{held.pk}/amendments/",
            {"corrected_mg": "30", "reason": "gave it after all"},
            follow=True,
        )
    assert response.status_code == 200
    assert "only by a prescriber" in response.content.decode()
    assert not DoseAmendment.objects.filter(dose=held).exists()


def test_a_prescriber_may_correct_a_held_dose_with_a_reason(world: Any) -> None:
    from keel.treatment import services

    today, held = _held(world)
    amendment = services.amend_dose(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        dose_id=held.pk,
        corrected_mg="30",
        reason="Assessed at 09:10: alert, the hold was a mistaken entry; 30 mg given at 09:15",
        now=at(today, 9, 20),
    )
    assert amendment.corrected_mg == 30


def test_a_nurse_may_still_void_a_held_row(world: Any) -> None:
    """Voiding gives nothing: it never walks around the hold."""
    from keel.treatment import services

    today, held = _held(world)
    amendment = services.amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=held.pk,
        void=True,
        reason="entered for the wrong person",
        now=at(today, 9, 5),
    )
    assert amendment.voided


# --- Take-home supply -------------------------------------------------------------------------------------


def test_the_api_names_the_field_when_no_dose_was_ever_observed(world: Any) -> None:
    methadone_order(world, when=at(D0, 7))
    response = _post_api(world, "prescriber", "take-homes", {"criteria": ALL_CRITERIA}, at(D0, 8))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "days_in_treatment"


def test_a_bottle_day_already_covered_by_another_plan_is_refused(world: Any) -> None:
    from keel.treatment import services
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    today = D0 + timedelta(days=9)
    services.decide_take_home(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        criteria=ALL_CRITERIA,
        bottle_days=[(today + timedelta(days=1)).isoformat()],
        now=at(today, 10),
    )
    with pytest.raises(TreatmentInvalid) as exc:
        services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=ALL_CRITERIA,
            bottle_days=[(today + timedelta(days=1)).isoformat()],
            now=at(today, 10, 5),
        )
    assert exc.value.errors[0].field == "bottle_days"


def test_a_new_plan_after_the_first_plans_bottles_are_used_is_allowed(world: Any) -> None:
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    today = D0 + timedelta(days=9)
    services.decide_take_home(
        by=world.staff["prescriber"], patient_id=world.alice.pk, criteria=ALL_CRITERIA, now=at(today, 10)
    )
    later = today + timedelta(days=8)  # the 7 bottles covered days +1..+7
    dose(world, "30", at(later, 9))
    plan = services.decide_take_home(
        by=world.staff["prescriber"], patient_id=world.alice.pk, criteria=ALL_CRITERIA, now=at(later, 10)
    )
    assert len(plan.bottles) == 14  # day 18 in treatment: the 14-day step of the ladder


def test_a_bottle_for_today_is_allowed_when_no_dose_was_taken_today(world: Any) -> None:
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 10)
    today = D0 + timedelta(days=10)
    plan = services.decide_take_home(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        criteria=ALL_CRITERIA,
        start_on=today.isoformat(),
        now=at(today, 8),
    )
    assert plan.bottles[0] == today.isoformat()


# --- The day after a restart is day 2 of the restart (last note: it counted as maintenance) ---------------


def _restarted(world: Any) -> date:
    """Started on D0; restarted 21 days later with a fresh ready verdict (4 mg given); the restart day."""
    _started(world)
    day = D0 + timedelta(days=21)
    now = at(day, 10)
    _last_use(world, now - timedelta(minutes=30), heroin=now - timedelta(hours=14))
    _cows(world, now - timedelta(minutes=20))
    _give(world, "4", now)
    return day


def test_the_day_after_a_restart_meets_the_day_two_limit(world: Any) -> None:
    from keel.treatment import services

    day = _restarted(world)
    with pytest.raises(services.DoseBlocked):
        _give(world, "20", at(day + timedelta(days=1), 10))


def test_the_day_after_a_restart_names_day_two(world: Any) -> None:
    from keel.treatment import services

    day = _restarted(world)
    with pytest.raises(services.DoseBlocked) as exc:
        _give(world, "20", at(day + timedelta(days=1), 10))
    assert "second dose day" in str(exc.value)  # the limit's name since session 35 (words35)


def _rx(world: Any, mg: str, when: datetime) -> None:
    """A new buprenorphine order of `mg` (the dose given follows the active order)."""
    from keel.treatment import services

    with time_machine.travel(when, tick=False):
        services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            dose_mg=mg,
            now=when,
        )


def test_the_day_after_a_restart_allows_a_dose_within_the_day_two_limit(world: Any) -> None:
    day = _restarted(world)
    _rx(world, "12", at(day + timedelta(days=1), 8))
    assert _give(world, "12", at(day + timedelta(days=1), 10)).dose.status == "given"


def test_two_days_after_a_restart_is_maintenance_again(world: Any) -> None:
    day = _restarted(world)
    _rx(world, "12", at(day + timedelta(days=1), 8))
    _give(world, "12", at(day + timedelta(days=1), 10))
    _rx(world, "20", at(day + timedelta(days=2), 8))
    assert _give(world, "20", at(day + timedelta(days=2), 10)).dose.status == "given"


def test_the_day_after_an_ordinary_miss_is_maintenance(world: Any) -> None:
    """Four missed days are not a restart (default policy 5), so the next day is maintenance, not day 2."""
    _started(world)
    _give(world, "4", at(D0 + timedelta(days=5), 10))
    _rx(world, "20", at(D0 + timedelta(days=6), 8))
    assert _give(world, "20", at(D0 + timedelta(days=6), 10)).dose.status == "given"
