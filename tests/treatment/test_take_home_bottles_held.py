"""Review 19a: bottles handed out and not brought back keep counting against the take-home supply after
their plan ends (42 CFR 8.12(i): the supply a person holds at one time), whatever ended it; a dose given on a
take-home day because the bottle came back records the bottle on the plan, audited, with the dose."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel.audit.models import AuditEvent
from keel.patients import services as patient_services
from keel.patients.schemas import DischargeIn
from keel.treatment import services
from keel.treatment.end_words import day_words
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import TakeHomePlan
from keel.treatment.queries import held_bottles
from tests.conftest import World, sign_in
from tests.treatment.test_dose_queries import SERVICE_STATEMENTS
from tests.treatment.test_take_home_safety import NOON, TODAY, decide, give, observed, order, take_home_today

pytestmark = pytest.mark.django_db
REASON = "entered for the wrong dates; the person kept the bottles for now"
TOMORROW = TODAY + timedelta(days=1)
# A dose on a take-home day with the bottle back: the ordinary dose's statements and one more, the plan's
# returned day written (the plan read with the day, under the person's lock; the dose's audit row says it).
# Review 36f / fix36e (integrator): one more with a plan on record, the last methadone's bottles that left
# with her (`readiness.take_home_days` over `bottles_at_home`: the plan's doses), read by the second-agonist
# gate.
BOTTLE_BACK_STATEMENTS = {vendor: n + 2 for vendor, n in SERVICE_STATEMENTS.items()}


def handed_out_plan(world: World) -> TakeHomePlan:
    """Observed doses through today (today's at noon); the plan decided at noon: from tomorrow, the bottles
    go home with the person today."""
    order(world)
    observed(world, range(-40, 1))
    return decide(world)


def end(world: World, plan: TakeHomePlan, **kw: Any) -> TakeHomePlan:
    with time_machine.travel(NOON, tick=False):
        return services.end_take_home_plan(
            by=world.staff["prescriber"], patient_id=world.alice.pk, plan_id=plan.pk, reason=REASON, **kw
        )


def held(world: World, today: date = TODAY) -> set[date]:
    return set().union(*held_bottles(world.alice, None, today).values())


# Ending a plan: the bottles handed out and not brought back


def test_a_new_plan_is_refused_while_the_ended_plan_s_bottles_are_with_the_person(world: World) -> None:
    end(world, handed_out_plan(world))
    with pytest.raises(TreatmentInvalid):
        decide(world)


def test_not_answering_which_came_back_counts_every_bottle_handed_out(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan)
    assert held(world) == {date.fromisoformat(d) for d in plan.bottles}


def test_a_new_plan_is_decided_once_the_bottles_are_brought_back(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan, returned_days=plan.bottles)
    assert decide(world).pk != plan.pk


def test_bottles_still_held_count_with_a_new_plan_s_bottles(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan, returned_days=plan.bottles[1:])  # the first bottle stays with the person
    with pytest.raises(TreatmentInvalid):
        decide(world, bottle_days=[plan.bottles[0]])


def test_bottles_never_handed_out_do_not_count(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))  # no dose yet today: tomorrow's bottles have not gone home
    plan = decide(world)
    end(world, plan)
    assert held(world) == set()


def test_a_dose_given_after_the_plan_ended_hands_out_none_of_its_bottles(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    plan = decide(world)
    end(world, plan)
    give(world)  # the person's observed dose, an hour after the plan ended
    assert held(world) == set()


def test_the_end_s_audit_row_names_the_bottles_still_held(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan, returned_days=plan.bottles[2:])
    row = AuditEvent.objects.filter(target_type="take_home_plan", target_id=str(plan.pk)).latest("id")
    assert row.detail["bottles_still_held"] == plan.bottles[:2]


def test_discharge_leaves_the_bottles_handed_out_counted(world: World) -> None:
    plan = handed_out_plan(world)
    with time_machine.travel(NOON, tick=False):
        patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    assert held(world, TOMORROW) == {date.fromisoformat(d) for d in plan.bottles}


def test_a_hold_keeps_the_bottles_at_home_counted_and_not_the_later_ones(world: World) -> None:
    order(world)
    observed(world, range(-40, 1))
    weekend = [TOMORROW, TODAY + timedelta(days=2), TODAY + timedelta(days=4)]  # Thu, Fri, then Sun
    decide(world, bottle_days=[d.isoformat() for d in weekend])
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True)
    assert held(world, TOMORROW) == set(weekend[:2])


def test_the_take_home_page_shows_the_bottles_still_held(world: World) -> None:
    end(world, handed_out_plan(world))
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        body = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
    said = day_words(TOMORROW, TODAY)  # lane words25: a day as a person reads it, never ISO
    assert "counted against any new supply: " + said in body


def test_the_api_review_lists_the_bottles_still_held(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        review = client.get(f"/api/v1/patients/{world.alice.pk}/take-homes/review").json()
    assert review["bottles_held"] == plan.bottles


# A dose on a take-home day, the bottle back


def test_the_bottle_back_is_on_the_plan_s_returned_days(world: World) -> None:
    take_home_today(world)
    give(world, bottle_returned=True)
    assert TakeHomePlan.objects.get().returned_days == [TODAY.isoformat()]


def test_the_bottle_back_is_audited_with_the_dose(world: World) -> None:
    take_home_today(world)
    dose = give(world, bottle_returned=True).dose
    plan = TakeHomePlan.objects.get()
    row = AuditEvent.objects.get(target_type="dose", target_id=str(dose.pk), action="create")
    assert row.detail == {"bottle_returned": TODAY.isoformat(), "take_home_plan": plan.pk}


def test_a_tick_on_a_day_no_bottle_covers_records_nothing(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    decide(world, start_on=TOMORROW)
    give(world, bottle_returned=True)
    assert TakeHomePlan.objects.get().returned_days == []


def test_ending_the_plan_later_keeps_the_bottle_back(world: World) -> None:
    take_home_today(world)
    give(world, bottle_returned=True)
    plan = TakeHomePlan.objects.get()
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        services.end_take_home_plan(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            plan_id=plan.pk,
            reason=REASON,
            from_day=TOMORROW,
            returned_days=[TOMORROW],
        )
    plan.refresh_from_db()
    assert plan.returned_days == [TODAY.isoformat(), TOMORROW.isoformat()]


def test_the_api_records_the_bottle_back(world: World) -> None:
    take_home_today(world)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "60", "sequence": 1, "bottle_returned": True}),
            content_type="application/json",
        )
    assert (response.status_code, TakeHomePlan.objects.get().returned_days) == (201, [TODAY.isoformat()])


def test_the_dosing_page_records_the_bottle_back(world: World) -> None:
    take_home_today(world)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "60", "medication": "methadone", "bottle_returned": "on"},
        )
    assert TakeHomePlan.objects.get().returned_days == [TODAY.isoformat()]


def test_a_dose_with_the_bottle_back_runs_a_fixed_number_of_statements(world: World) -> None:
    take_home_today(world)
    with (
        time_machine.travel(NOON + timedelta(hours=1), tick=False),
        CaptureQueriesContext(connection) as seen,
    ):
        services.record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="60",
            sequence=1,
            bottle_returned=True,
        )
    assert len(seen) == BOTTLE_BACK_STATEMENTS[connection.vendor], [q["sql"][:90] for q in seen]
