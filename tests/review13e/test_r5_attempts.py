"""Review 13e, round 5: trying to defeat "a hold means stop" (commit 852e895) with ordinary clinic input.
Every test asserts the SAFE behaviour: after an unreleased hold on day H, no bottle covers a day after H,
but the run of bottles that may already be at home (going on from H when H is a bottle day or a dose was
given on H), which stays covered so that the window never doses over a bottle at home."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.review13d.common import amend, at, discharge, dose, methadone_on

pytestmark = pytest.mark.django_db
MON = date(2026, 11, 2)
D = lambda n: MON + timedelta(days=n)  # noqa: E731


def _plan(world: Any, decided: datetime, first_bottle: date | None = None, **kw: Any) -> Any:
    from keel.treatment import services

    criteria = dict.fromkeys(services.CRITERIA_KEYS, True)
    with time_machine.travel(decided, tick=False):
        return services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=criteria,
            start_on=first_bottle.isoformat() if first_bottle else None,
            now=decided,
            **kw,
        )


def _ack(world: Any, today: date) -> list[str]:
    from keel.treatment.queries import take_home_concerns

    return [c.id for c in take_home_concerns(world.alice, today)]


def _covered(world: Any, today: date) -> set[date]:
    from keel.treatment import services

    with time_machine.travel(at(today, 9), tick=False):
        return services.dose_context(world.alice, "methadone", today).take_home_days


def _plans(world: Any) -> list[Any]:
    from keel.treatment.models import TakeHomePlan

    return list(TakeHomePlan.objects.filter(patient=world.alice).order_by("id"))


def _days_after(world: Any, held: date) -> set[date]:
    from keel.treatment.queries import plan_days

    return {d for p in _plans(world) for d in plan_days(p) if d > held}


def _base(world: Any) -> Any:
    methadone_on(world, MON, "30", 12)  # observed days 0..11
    return _plan(world, at(D(4), 10), D(12))


# 1. the HTTP API
def test_hold_through_the_api_ends_the_plan(world: Any, signed_in: Any) -> None:
    _base(world)
    with time_machine.travel(at(D(8), 11), tick=False):
        r = signed_in("nurse").post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            data=json.dumps({"sedated": True, "sequence": 2}),
            content_type="application/json",
        )
    assert r.status_code == 201, r.content
    assert _plans(world)[0].ended_on == D(8)
    assert not _days_after(world, D(8))


# 2. the dosing page
def test_hold_through_the_dosing_page_ends_the_plan(world: Any, signed_in: Any) -> None:
    from keel.treatment.models import DoseRecord

    _base(world)
    with time_machine.travel(at(D(8), 11), tick=False):
        r = signed_in("nurse").post(f"/dosing/{world.alice.pk}/", {"sequence": "2", "sedated": "on"})
    assert r.status_code in (200, 302)
    assert DoseRecord.objects.filter(patient=world.alice, local_date=D(8), status="held").exists()
    assert _plans(world)[0].ended_on == D(8)


# 3. backdated given time / other zone / near midnight
def test_backdated_given_time_ends_the_plan_on_that_day(world: Any) -> None:
    _base(world)
    dose(world, "", at(D(8), 16), sedated=True, sequence=2, given_at=at(D(8), 9, 30).isoformat())
    assert _plans(world)[0].ended_on == D(8)
    assert D(12) not in _covered(world, D(12))


def test_hold_late_evening_recorded_with_a_utc_clock(world: Any) -> None:
    """23:30 New York on day 11 is 04:30 UTC on day 12: the hold is day 11's. Day 11's observed dose was given
    that morning, so the run of bottles from day 12 may have gone home with it: it stays covered (the window
    never doses over a bottle at home), and the hold's day is day 11, not the UTC day 12."""
    _base(world)
    now = datetime(D(12).year, D(12).month, D(12).day, 4, 30, tzinfo=UTC)
    dose(world, "", now, sedated=True, sequence=2, given_at="2026-11-14T04:20:00Z")
    assert D(12) in _covered(world, D(12))


def test_hold_given_at_in_another_zone_offset(world: Any) -> None:
    _base(world)
    dose(world, "", at(D(11), 22), sedated=True, sequence=2, given_at="2026-11-14T04:50:00+02:00")
    assert D(12) in _covered(world, D(12))  # after day 11's dose: the bottles may be at home


# 4. amend / void the hold
def test_voided_hold_leaves_the_plan_ended(world: Any) -> None:
    """Fail-safe: the bottles do not come back by a correction; only a prescriber's new decision."""
    _base(world)
    held = dose(world, "", at(D(8), 11), sedated=True, sequence=2).dose
    amend(world, held.pk, at(D(8), 12), void=True)
    assert _plans(world)[0].ended_on == D(8)
    assert D(12) not in _covered(world, D(12))


def test_prescriber_correcting_hold_into_given_leaves_the_plan_ended(world: Any) -> None:
    _base(world)
    held = dose(world, "", at(D(8), 11), sedated=True, sequence=2).dose
    with contextlib.suppress(Exception):  # refused by a ceiling is fine too
        amend(world, held.pk, at(D(8), 12), by="prescriber", corrected_mg="10")
    assert D(12) not in _covered(world, D(12))


# 5. a second plan after the hold, hold unreleased
def test_new_plan_same_day_as_unreleased_hold_is_refused(world: Any) -> None:
    from keel.treatment.errors import TreatmentInvalid

    _base(world)
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    with pytest.raises(TreatmentInvalid):
        _plan(world, at(D(8), 14), D(9), acknowledged_flags=_ack(world, D(8)))
    assert not _days_after(world, D(8))


def test_new_plan_next_day_must_acknowledge_the_hold(world: Any) -> None:
    from keel.treatment.errors import TreatmentInvalid

    _base(world)
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    with pytest.raises(TreatmentInvalid):
        _plan(world, at(D(9), 10), D(12))
    assert not _days_after(world, D(8))


# 6. two plans at once
def test_two_plans_both_end(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, at(D(4), 10), bottle_days=[D(12).isoformat()])
    _plan(world, at(D(5), 10), bottle_days=[D(14).isoformat()], acknowledged_flags=_ack(world, D(5)))
    assert len(_plans(world)) == 2
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    assert [p.ended_on for p in _plans(world)] == [D(8), D(8)]


# 7. plan decided the same day as the hold, before it
def test_plan_decided_the_morning_of_the_hold_ends(world: Any) -> None:
    methadone_on(world, MON, "30", 9)  # days 0..8, day 8's dose at 09:00
    _plan(world, at(D(8), 10), D(9))
    dose(world, "", at(D(8), 15), sedated=True, sequence=2)
    assert D(9) in _days_after(world, D(8))  # handed out with the 09:00 dose: still a bottle at home


# 8. a hold on a closure day, a closure-day bottle
def test_hold_on_a_closure_day_ends_the_plan(world: Any) -> None:
    world.alice.program.closure_days = [D(8).isoformat()]
    world.alice.program.save(update_fields=["closure_days"])
    methadone_on(world, MON, "30", 8)
    _plan(world, at(D(4), 10), D(12))
    dose(world, "", at(D(8), 11), sedated=True)
    assert not _days_after(world, D(8))


def test_closure_day_bottle_stops_after_a_hold(world: Any) -> None:
    world.alice.program.closure_days = [D(13).isoformat()]
    world.alice.program.save(update_fields=["closure_days"])
    methadone_on(world, MON, "30", 12)
    try:
        _plan(world, at(D(10), 10), closure_day=D(13).isoformat())
    except Exception:
        _plan(world, at(D(10), 10), bottle_days=[D(13).isoformat()])
    dose(world, "", at(D(11), 11), sedated=True, sequence=2)
    assert D(13) not in _covered(world, D(13))


# 9. a held dose on a take-home day, bottle returned
def test_hold_on_a_take_home_day_with_bottle_returned(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, at(D(4), 10), bottle_days=[D(12).isoformat(), D(13).isoformat()])
    dose(world, "", at(D(12), 11), sedated=True, bottle_returned=True)
    assert D(13) in _covered(world, D(13))  # day 13's bottle went home with day 12's


def test_hold_on_a_take_home_day_without_bottle_returned(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, at(D(4), 10), bottle_days=[D(12).isoformat(), D(13).isoformat()])
    dose(world, "", at(D(12), 11), sedated=True)
    assert D(13) in _covered(world, D(13))


# 10. readers: the window list, the API, the medication record, the measures
def test_dosing_list_api_says_due_on_the_former_bottle_day(world: Any, signed_in: Any) -> None:
    _base(world)
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    with time_machine.travel(at(D(12), 9), tick=False):
        rows = signed_in("nurse").get("/api/v1/dosing/today").json()
    mine = [r for r in rows if r["name"] == world.alice.display_name]
    assert mine
    assert all(r["status"] != "take_home" for r in mine)


def test_medication_record_api_shows_the_plan_ended_by_the_hold(world: Any, signed_in: Any) -> None:
    _base(world)
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    with time_machine.travel(at(D(12), 9), tick=False):
        body = signed_in("nurse").get(f"/api/v1/patients/{world.alice.pk}/medication").json()
    (plan,) = body["take_homes"]
    assert plan["ended_on"] == D(8).isoformat()
    assert "held" in plan["end_reason"]


def test_caseload_loads_and_shows_no_take_home_status(world: Any, signed_in: Any) -> None:
    _base(world)
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    with time_machine.travel(at(D(12), 9), tick=False):
        r = signed_in("nurse").get("/api/v1/caseload")
    assert r.status_code == 200
    assert "take_home" not in json.dumps(r.json()).replace("take_homes", "")


def test_measures_do_not_count_the_suspended_bottles_as_covered(world: Any) -> None:
    """Nobody came after the hold: days 9..16 are neither observed nor covered by a bottle that went home."""
    from keel.measures.queries import _people

    methadone_on(world, MON, "30", 9)  # observed days 0..8, then nobody comes
    _plan(world, at(D(4), 10), D(12))
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    (alice,) = [p for p in _people(world.riverside, D(20)) if p.key == world.alice.pk]
    covered = {
        span.start + timedelta(days=i)
        for span in alice.coverage
        for i in range((span.end - span.start).days + 1)
    }
    assert not {d for d in covered if d > D(8)}, sorted(d for d in covered if d > D(8))


# 11. a discharge afterwards
def test_discharge_after_the_hold_keeps_the_hold_end(world: Any) -> None:
    _base(world)
    dose(world, "", at(D(8), 11), sedated=True, sequence=2)
    discharge(world, at(D(13), 12))
    (plan,) = _plans(world)
    assert plan.ended_on == D(8)
    assert "held" in plan.end_reason


# 12. a hold landing while the prescriber's decision is in flight (two screens, same minute)
def test_hold_landing_during_a_decision_still_stops_the_new_bottles(world: Any, monkeypatch: Any) -> None:
    from keel.treatment.services import take_homes

    methadone_on(world, MON, "30", 9)
    real = take_homes._supply_problem

    def racing(*a: Any, **kw: Any) -> Any:
        out = real(*a, **kw)  # the prescriber's checks passed: no hold yet
        dose(world, "", at(D(8), 10), sedated=True, sequence=2)  # the nurse's hold commits now
        return out

    monkeypatch.setattr(take_homes, "_supply_problem", racing)
    with contextlib.suppress(Exception):  # refusing the plan is safe too
        _plan(world, at(D(8), 10), D(9))
    assert not _days_after(world, D(8))


# 13. a hold on the first of two take-home days: the second day's bottle went home the day before
def test_hold_on_a_take_home_day_does_not_forget_the_bottle_already_at_home(world: Any) -> None:
    """Bottles for days 12 and 13 went home after the observed dose of day 11 (the fix's own rule: a bottle
    goes home at the last observed dose before its day). Day 12 the person comes in sedated, bottle not
    returned: held. Day 13 the bottle for day 13 is still at home; the window must not give a full observed
    dose as if no bottle existed (safe: refused as a take-home day, or needs the bottle brought back)."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_on(world, MON, "30", 12)  # observed days 0..11
    _plan(world, at(D(4), 10), bottle_days=[D(12).isoformat(), D(13).isoformat()])
    dose(world, "", at(D(12), 11), sedated=True)
    with pytest.raises(TreatmentInvalid):
        dose(world, "30", at(D(13), 9))
