"""Lane fix39 (review 39a): a closure-day bottle re-checked when it leaves, held to the first bottle's ceiling
and to a state's or program's limit of none; bottle days measured whatever `start_on` says beside them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from keel.accounts.models import Program
from keel.patients.models import Patient, local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import TakeHomePlan
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.take_homes import CRITERIA_KEYS, decide_take_home
from tests.conftest import World
from tests.factories import given_daily, pinned_at_last_five_pm_utc


@pytest.fixture(autouse=True)
def _clock():
    yield from pinned_at_last_five_pm_utc()


def _on_methadone(world: World, days: int = 5) -> Patient:
    alice = world.alice
    today = local_today(alice)
    order = prescribe(by=world.staff["prescriber"], patient_id=alice.pk, medication="methadone", dose_mg="40")
    given_daily(world, order, [today - timedelta(days=n) for n in range(days, 0, -1)], 40)
    return alice


def _closed_on(world: World, days: list[str]) -> None:
    Program.objects.filter(pk=world.riverside.pk).update(closure_days=days)
    world.alice = Patient.objects.select_related("program").get(pk=world.alice.pk)


def test_the_closure_bottle_kept_back_tells_the_nurse_why_in_plain_words(world: World) -> None:
    alice = _on_methadone(world)
    tomorrow = local_today(alice) + timedelta(days=1)
    _closed_on(world, [tomorrow.isoformat()])
    plan = decide_take_home(
        by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=tomorrow.isoformat()
    )
    _closed_on(world, [])
    outcome = record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="40", sequence=1)

    from keel.treatment.services.doses.bottles import KEPT_BACK_CLOSURE_CALLED_OFF

    said = [r for r in outcome.decision.reasons if r.template == KEPT_BACK_CLOSURE_CALLED_OFF]
    assert said and "no longer a closure day" in said[0].text
    plan = TakeHomePlan.objects.get(pk=plan.pk)
    assert not plan.bottle_mg and plan.ended_on is not None  # the plan stops: no bottle for an open day
    assert "no longer one of the program's closure days" in plan.end_reason


def test_the_closure_bottle_still_goes_home_while_the_day_is_closed(world: World) -> None:
    alice = _on_methadone(world)
    tomorrow = local_today(alice) + timedelta(days=1)
    _closed_on(world, [tomorrow.isoformat()])
    plan = decide_take_home(
        by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=tomorrow.isoformat()
    )
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="40", sequence=1)
    assert list(TakeHomePlan.objects.get(pk=plan.pk).bottle_mg) == [tomorrow.isoformat()]


def test_no_closure_day_bottle_where_the_state_allows_none(world: World) -> None:
    alice = _on_methadone(world)
    tomorrow = local_today(alice) + timedelta(days=1)
    _closed_on(world, [tomorrow.isoformat()])
    with pytest.raises(TreatmentInvalid) as refused:
        decide_take_home(
            by=world.staff["prescriber"],
            patient_id=alice.pk,
            criteria={},
            state_max_days="0",
            closure_day=tomorrow.isoformat(),
        )
    [error] = refused.value.errors
    assert error.field == "closure_day" and "state_max_days" in error.reason
    assert "another way" in error.reason
    assert not TakeHomePlan.objects.filter(patient=alice).exists()


def test_a_closure_day_at_the_ceiling_is_allowed_one_day_later_is_not(world: World) -> None:
    alice = _on_methadone(world)
    today = local_today(alice)
    at, past = today + timedelta(days=14), today + timedelta(days=15)
    _closed_on(world, [at.isoformat(), past.isoformat()])
    with pytest.raises(TreatmentInvalid) as refused:
        decide_take_home(
            by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=past.isoformat()
        )
    assert [e.field for e in refused.value.errors] == ["closure_day"]
    plan = decide_take_home(
        by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=at.isoformat()
    )
    assert plan.bottles == [at.isoformat()]


def test_start_on_other_than_the_first_bottle_day_is_refused_as_contradictory(world: World) -> None:
    """The bottle days are the plan's bottles: a `start_on` beside them that is not their first day says
    something else, refused naming `start_on`, nothing written; the same day as the first stands."""
    alice = _on_methadone(world, days=10)
    today = local_today(alice)
    days = [(today + timedelta(days=n)).isoformat() for n in (2, 3)]
    criteria = dict.fromkeys(CRITERIA_KEYS, True)
    for start in (1, 3):
        with pytest.raises(TreatmentInvalid) as refused:
            decide_take_home(
                by=world.staff["prescriber"],
                patient_id=alice.pk,
                criteria=criteria,
                start_on=(today + timedelta(days=start)).isoformat(),
                bottle_days=days,
            )
        assert [e.field for e in refused.value.errors] == ["start_on"]
    assert not TakeHomePlan.objects.filter(patient=alice).exists()
    plan = decide_take_home(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        criteria=criteria,
        start_on=days[0],
        bottle_days=days,
    )
    assert plan.bottles == days


def test_removing_a_closure_day_tells_the_admin_how_many_planned_bottles_it_affects(
    world: World, signed_in: Any
) -> None:
    alice = _on_methadone(world)
    tomorrow = local_today(alice) + timedelta(days=1)
    _closed_on(world, [tomorrow.isoformat()])
    decide_take_home(
        by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=tomorrow.isoformat()
    )
    program = Program.objects.get(pk=world.riverside.pk)
    form = {"time_zone": program.time_zone, "closure_days": ""}
    admin = signed_in("program_admin")

    response = admin.post("/program/settings/", form)
    assert response.status_code == 200
    assert (
        "1 planned closure-day take-home bottle is for a day that is no longer a closure day"
        in (response.context["notice"])
    )
    again = admin.post("/program/settings/", form, HTTP_ACCEPT_LANGUAGE="es")  # nothing removed this time
    assert again.context["notice"] == "Configuración guardada."


def test_a_second_closure_day_bottle_is_not_stacked_within_the_ceiling(world: World) -> None:
    """Review 13d's stacking check (its test decides a closure day 19 days ahead, now past the ceiling)."""
    alice = _on_methadone(world)
    today = local_today(alice)
    first, second = today + timedelta(days=2), today + timedelta(days=3)
    _closed_on(world, [first.isoformat(), second.isoformat()])
    decide_take_home(
        by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=first.isoformat()
    )
    with pytest.raises(TreatmentInvalid) as refused:
        decide_take_home(
            by=world.staff["prescriber"], patient_id=alice.pk, criteria={}, closure_day=second.isoformat()
        )
    assert [e.field for e in refused.value.errors] == ["closure_day"]
    assert TakeHomePlan.objects.filter(patient=alice).count() == 1
