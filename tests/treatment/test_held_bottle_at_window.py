"""Review 20a: a person who still holds a take-home bottle for today from a plan that ENDED (a prescriber
ended it, or a discharge, after the bottles went home) is stopped at the window as on a take-home day: an
observed methadone dose passes only with "bottle returned", which records the return on the plan that issued
the bottle (audited with the dose). The same on the service, the API, the page and its htmx row, whose row
offers the tick. The ordinary dose reads nothing more; the held bottle is read only when a plan has an
unreturned bottle for today."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from keel.audit.models import AuditEvent
from keel.patients import services as patient_services
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, TakeHomePlan
from keel.treatment.queries import dosing_list, dosing_row
from tests.conftest import World, sign_in
from tests.treatment.test_dose_queries import SERVICE_STATEMENTS
from tests.treatment.test_take_home_bottles_held import TOMORROW, end, handed_out_plan, held
from tests.treatment.test_take_home_safety import NOON, decide, observed, order

pytestmark = pytest.mark.django_db
AT = NOON + timedelta(days=1)  # noon in New York on the bottle's day
# A dose with an ended plan's bottle back: the ordinary dose's statements, the held bottles read
# (`held_bottles`: the plans, the observed doses while they stood) because a plan has an unreturned bottle for
# today, and the plan's returned day written.
# Review 36f / fix36e (integrator): one more with a plan on record, the last methadone's bottles that left
# with her (`readiness.take_home_days` over `bottles_at_home`: the plan's doses), read by the second-agonist
# gate.
PLAN_READ = 1
HELD_BOTTLE_BACK_STATEMENTS = {vendor: n + 3 + PLAN_READ for vendor, n in SERVICE_STATEMENTS.items()}


def ended_with_bottles(world: World, **kw: Any) -> TakeHomePlan:
    """Bottles from tomorrow went home with today's observed dose; the plan then ended at noon."""
    plan = handed_out_plan(world)
    end(world, plan, **kw)
    plan.refresh_from_db()
    return plan


def give(world: World, at: Any = AT, **kw: Any) -> services.DoseOutcome:
    with time_machine.travel(at, tick=False):
        return services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="60", **kw)


def refused_fields(world: World, **kw: Any) -> set[str]:
    with pytest.raises(TreatmentInvalid) as caught:
        give(world, **kw)
    return {e.field for e in caught.value.errors}


def doses_on_the_bottle_day(world: World) -> int:
    return DoseRecord.objects.filter(patient=world.alice, local_date=TOMORROW).count()


# The service


def test_the_bottle_day_of_an_ended_plan_is_refused_without_the_bottle(world: World) -> None:
    ended_with_bottles(world)
    assert refused_fields(world) == {"bottle_returned"}


def test_the_refusal_records_no_dose(world: World) -> None:
    ended_with_bottles(world)
    refused_fields(world)
    assert doses_on_the_bottle_day(world) == 0


def test_with_the_bottle_returned_the_dose_is_given(world: World) -> None:
    ended_with_bottles(world)
    assert give(world, bottle_returned=True).dose.status == "given"


def test_the_return_is_recorded_on_the_plan_that_issued_the_bottle(world: World) -> None:
    plan = ended_with_bottles(world)
    give(world, bottle_returned=True)
    plan.refresh_from_db()
    assert TOMORROW.isoformat() in plan.returned_days


def test_the_return_is_audited_with_the_dose(world: World) -> None:
    plan = ended_with_bottles(world)
    dose = give(world, bottle_returned=True).dose
    row = AuditEvent.objects.get(target_type="dose", target_id=str(dose.pk), action="create")
    assert row.detail == {"bottle_returned": TOMORROW.isoformat(), "take_home_plan": plan.pk}


def test_the_returned_bottle_no_longer_counts_against_the_supply(world: World) -> None:
    ended_with_bottles(world)
    give(world, bottle_returned=True)
    assert TOMORROW not in held(world, TOMORROW)


def test_a_sedated_person_is_held_on_the_bottle_day(world: World) -> None:
    ended_with_bottles(world)
    assert give(world, sedated=True).dose.status == "held"


def test_bottles_brought_back_when_the_plan_ended_do_not_stop_the_dose(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan, returned_days=plan.bottles)
    assert give(world).dose.status == "given"


def test_today_s_bottle_brought_back_alone_does_not_stop_the_dose(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan, returned_days=[TOMORROW.isoformat()])
    assert give(world).dose.status == "given"


def test_bottles_that_never_went_home_do_not_stop_the_dose(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))  # no dose today before the plan: its bottles stayed at the clinic
    end(world, decide(world))
    assert give(world).dose.status == "given"


def test_at_0030_new_york_on_the_bottle_day_the_dose_is_refused(world: World) -> None:
    ended_with_bottles(world)
    assert refused_fields(world, at=AT - timedelta(hours=11, minutes=30)) == {"bottle_returned"}


def test_a_discharge_then_readmission_still_stops_the_bottle_day(world: World) -> None:
    handed_out_plan(world)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    with time_machine.travel(AT - timedelta(hours=2), tick=False):
        patient_services.readmit(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
        )
    assert refused_fields(world) == {"bottle_returned"}


# The routes


def test_the_api_refuses_the_dose_naming_bottle_returned(world: World) -> None:
    ended_with_bottles(world)
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "60", "sequence": 1}),
            content_type="application/json",
        )
    assert [e["field"] for e in response.json()["errors"]] == ["bottle_returned"]


def test_the_api_gives_the_dose_with_the_bottle_returned(world: World) -> None:
    ended_with_bottles(world)
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "60", "sequence": 1, "bottle_returned": True}),
            content_type="application/json",
        )
    assert response.status_code == 201


def test_the_dosing_page_records_no_dose_without_the_bottle(world: World) -> None:
    ended_with_bottles(world)
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "60", "medication": "methadone"})
    assert doses_on_the_bottle_day(world) == 0


def test_the_htmx_row_says_it_is_a_take_home_day(world: World) -> None:
    ended_with_bottles(world)
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "60", "medication": "methadone", "sequence": "1"},
            HTTP_HX_REQUEST="true",
        )
    assert "today is a take-home day" in response.content.decode()


def test_the_htmx_row_records_no_dose_without_the_bottle(world: World) -> None:
    ended_with_bottles(world)
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "60", "medication": "methadone", "sequence": "1"},
            HTTP_HX_REQUEST="true",
        )
    assert doses_on_the_bottle_day(world) == 0


def test_the_dosing_page_records_the_return_on_the_ended_plan(world: World) -> None:
    plan = ended_with_bottles(world)
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "60", "medication": "methadone", "bottle_returned": "on"},
        )
    plan.refresh_from_db()
    assert TOMORROW.isoformat() in plan.returned_days


# The row on the window offers the bottle back


def window_page(world: World) -> str:
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        return str(client.get("/dosing/").content.decode())


def test_the_window_row_offers_the_bottle_back(world: World) -> None:
    ended_with_bottles(world)
    assert 'name="bottle_returned"' in window_page(world)


def test_the_window_row_offers_nothing_once_the_bottles_came_back(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan, returned_days=plan.bottles)
    assert 'name="bottle_returned"' not in window_page(world)


def test_the_row_is_still_due(world: World) -> None:
    ended_with_bottles(world)
    rows = dosing_list(world.staff["nurse"], now=AT)
    assert [r.status for r in rows if r.patient.pk == world.alice.pk] == ["due"]


def test_the_row_is_marked_as_holding_a_bottle(world: World) -> None:
    ended_with_bottles(world)
    rows = dosing_list(world.staff["nurse"], now=AT)
    assert [r.bottle_held for r in rows if r.patient.pk == world.alice.pk] == [True]


def test_the_one_row_read_marks_it_too(world: World) -> None:
    ended_with_bottles(world)
    row = dosing_row(world.staff["nurse"], patient_id=world.alice.pk, medication="methadone", now=AT)
    assert row is not None and row.bottle_held


def test_the_refused_htmx_row_offers_the_bottle_back(world: World) -> None:
    ended_with_bottles(world)
    with time_machine.travel(AT, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "60", "medication": "methadone", "sequence": "1"},
            HTTP_HX_REQUEST="true",
        )
    assert 'name="bottle_returned"' in response.content.decode()


# What it costs


def test_a_dose_with_an_ended_plan_s_bottle_back_runs_a_fixed_number_of_statements(world: World) -> None:
    ended_with_bottles(world)
    with time_machine.travel(AT, tick=False), CaptureQueriesContext(connection) as seen:
        services.record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg="60",
            sequence=1,
            bottle_returned=True,
        )
    assert len(seen) == HELD_BOTTLE_BACK_STATEMENTS[connection.vendor], [q["sql"][:90] for q in seen]


def test_an_ended_plan_whose_bottles_came_back_adds_no_statement(world: World) -> None:
    plan = handed_out_plan(world)
    end(world, plan, returned_days=plan.bottles)
    with time_machine.travel(AT, tick=False), CaptureQueriesContext(connection) as seen:
        services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="60", sequence=1)
    assert len(seen) == SERVICE_STATEMENTS[connection.vendor] + PLAN_READ, [q["sql"][:90] for q in seen]
