"""A hold means stop (issue #13, hole 6 of review 13d): a dose held for sedation or intoxication ends the
bottles a take-home plan has for the days after the hold, on every path that reads the plan."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from tests.review13d.common import at, dose, methadone_on

pytestmark = pytest.mark.django_db
MON = date(2026, 11, 2)


def _plan(world: Any, decided: date, first_bottle: date, **kw: Any) -> Any:
    from keel.treatment import services

    criteria = dict.fromkeys(services.CRITERIA_KEYS, True)
    now = at(decided, 10)
    with time_machine.travel(now, tick=False):
        return services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=criteria,
            start_on=first_bottle.isoformat(),
            now=now,
            **kw,
        )


def _days(world: Any, today: date) -> set[date]:
    from keel.treatment import services

    with time_machine.travel(at(today, 9), tick=False):
        return services.dose_context(world.alice, "methadone", today).take_home_days


def _release(world: Any, when: Any) -> None:
    """The prescriber releases Alice's open hold at `when` (lane fix33d: a hold stands until released)."""
    from keel.patients.models import FlagKind, PatientFlag
    from keel.patients.services import resolve_flag

    flag = PatientFlag.objects.get(patient=world.alice, kind=FlagKind.DOSE_HELD, resolved_at__isnull=True)
    with time_machine.travel(when, tick=False):
        resolve_flag(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            flag_id=flag.pk,
            note="Assessed at the window: alert and oriented, may be dosed",
        )


def _plan_row(world: Any) -> Any:
    from keel.treatment.models import TakeHomePlan

    return TakeHomePlan.objects.get(patient=world.alice)


def test_a_bottle_day_after_the_hold_is_not_a_take_home_day(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    assert MON + timedelta(days=12) not in _days(world, MON + timedelta(days=12))


def test_the_plan_ends_on_the_day_of_the_hold(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    assert _plan_row(world).ended_on == MON + timedelta(days=8)


def test_the_plan_says_why_it_ended(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    assert "held" in _plan_row(world).end_reason


def test_ending_the_plan_is_audited(world: Any) -> None:
    from keel.audit.models import AuditEvent

    methadone_on(world, MON, "30", 12)
    plan = _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    assert AuditEvent.objects.filter(
        target_type="take_home_plan", target_id=str(plan.pk), reason="dose held: bottles stop"
    ).exists()


def test_the_window_row_is_due_not_a_take_home_day(world: Any) -> None:
    from keel.treatment.queries import dosing_row

    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    now = at(MON + timedelta(days=12), 9)
    with time_machine.travel(now, tick=False):
        row = dosing_row(world.staff["nurse"], patient_id=world.alice.pk, medication="methadone", now=now)
    assert row is not None
    assert row.status != "take_home"


def test_the_person_can_be_dosed_at_the_window_on_the_former_bottle_day(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    _release(world, at(MON + timedelta(days=8), 14))  # lane fix33d: a hold stands until released
    outcome = dose(world, "30", at(MON + timedelta(days=12), 9))
    assert outcome.dose.status == "given"


def test_a_hold_before_the_plan_was_decided_leaves_it_alone(world: Any) -> None:
    """The prescriber decided after the hold, with the held dose among the concerns acknowledged."""
    methadone_on(world, MON, "30", 12)
    dose(world, "", at(MON + timedelta(days=12), 11), sedated=True)
    _release(world, at(MON + timedelta(days=12), 14))  # lane fix33d: no bottles while a hold stands
    from keel.treatment.queries import take_home_concerns

    concerns = take_home_concerns(world.alice, MON + timedelta(days=13))
    _plan(
        world,
        MON + timedelta(days=13),
        MON + timedelta(days=15),
        acknowledged_flags=[c.id for c in concerns],
    )
    assert _plan_row(world).ended_on is None


def test_a_plan_whose_bottles_all_came_before_the_hold_is_left_alone(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=5))
    dose(world, "", at(MON + timedelta(days=12), 11), sedated=True)
    assert _plan_row(world).ended_on is None


def test_bottle_days_up_to_the_hold_stay_in_the_record(world: Any) -> None:
    """Days already covered by a bottle stay covered (the measures and the record count them)."""
    from keel.treatment.queries import bottle_days, plan_days

    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=5))
    plan = _plan_row(world)
    first = min(plan_days(plan))
    last = max(plan_days(plan))
    if first == last:
        pytest.skip("a one-day plan")  # pragma: no cover - the demo policy gives more than one
    dose(world, "", at(first, 11), sedated=True, bottle_returned=True)
    # lane fix29a (review 29a hole 4): that day's bottle is on the shelf (a clinic day, `plan_days`), but the
    # hold never ends the plan before it: its bottle day stays in the plan's run (`bottle_days`)
    assert first in bottle_days(_plan_row(world))


def test_a_plan_already_ended_earlier_keeps_its_end(world: Any) -> None:
    from keel.treatment.models import TakeHomePlan

    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    TakeHomePlan.objects.filter(patient=world.alice).update(ended_on=MON + timedelta(days=6))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    assert _plan_row(world).ended_on == MON + timedelta(days=6)


def test_a_buprenorphine_hold_also_stops_the_methadone_bottles(world: Any) -> None:
    """Sedation is about the person, not the medication held."""
    from keel.treatment import services

    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    with time_machine.travel(at(MON + timedelta(days=8), 8), tick=False):
        services.prescribe(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            medication="buprenorphine",
            dose_mg="4",
            now=at(MON + timedelta(days=8), 8),
        )
    dose(world, "", at(MON + timedelta(days=8), 11), medication="buprenorphine", sedated=True)
    assert MON + timedelta(days=12) not in _days(world, MON + timedelta(days=12))


def test_a_refused_hold_changes_no_plan(world: Any) -> None:
    """A hold that never lands (refused, a conflict) leaves the plan as it was: the same transaction."""
    from keel.treatment.models import DoseRecord, TakeHomePlan
    from keel.treatment.services import DoseBlocked, DoseConflict

    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    DoseRecord.objects.filter(patient=world.alice).delete()
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    TakeHomePlan.objects.filter(patient=world.alice).update(ended_on=None, end_reason="")
    with pytest.raises((DoseBlocked, DoseConflict)):
        dose(world, "", at(MON + timedelta(days=8), 11, 5), sedated=True)
    assert _plan_row(world).ended_on is None


def test_bottles_that_may_be_at_home_stay_take_home_days(world: Any) -> None:
    """Held on a bottle day: the rest of that run went home with the last observed dose, so the window never
    gives an observed dose over it (review 13e, hole 22); the bottles of a later run stop."""
    methadone_on(world, MON, "30", 12)
    _plan(
        world,
        MON + timedelta(days=4),
        MON + timedelta(days=12),
        bottle_days=[(MON + timedelta(days=n)).isoformat() for n in (12, 13, 15)],
    )
    dose(world, "", at(MON + timedelta(days=12), 11), sedated=True)
    assert _plan_row(world).ended_on == MON + timedelta(days=13)


def test_a_hold_after_the_days_dose_keeps_the_run_that_went_home_with_it(world: Any) -> None:
    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=11), 15), sedated=True, sequence=2)
    assert MON + timedelta(days=12) in _days(world, MON + timedelta(days=12))


def test_the_measures_do_not_count_the_bottles_after_the_hold(world: Any) -> None:
    from keel.measures.queries import _people

    methadone_on(world, MON, "30", 12)
    _plan(world, MON + timedelta(days=4), MON + timedelta(days=12))
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    people = _people(world.riverside, MON + timedelta(days=30))
    alice = next(p for p in people if p.key == world.alice.pk)
    day = MON + timedelta(days=12)
    assert not any(span.start <= day <= span.end for span in alice.coverage)


def test_a_hold_saved_while_a_decision_is_checked_refuses_the_decision(world: Any, monkeypatch: Any) -> None:
    """The hold lands between the decision's checks and its save (two screens): refused (review 13e)."""
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.services import take_homes

    methadone_on(world, MON, "30", 9)
    checks = take_homes._supply_problem

    def racing(*args: Any, **kw: Any) -> Any:
        dose(world, "", at(MON + timedelta(days=8), 10, 5), sedated=True, sequence=2)
        return checks(*args, **kw)

    monkeypatch.setattr(take_homes, "_supply_problem", racing)
    with pytest.raises(TreatmentInvalid) as caught:
        _plan(world, MON + timedelta(days=8), MON + timedelta(days=10))
    assert {e.field for e in caught.value.errors} == {"acknowledged_flags"}
