"""Take-home doses that are safe (issue #13, the reviewers' holes): days counted from the methadone episode,
an active order, every open flag acknowledged, no bottle for a day already past, no observed dose on a
take-home day without the bottle back, plans that belong to an episode, a closure-day dose, a schedule below
the maximum, and buprenorphine on the dosing window."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.accounts.models import Program
from keel.patients import services as patient_services
from keel.patients.models import Enrollment, PatientFlag
from keel.patients.schemas import DischargeIn, ReadmissionIn
from keel.treatment import queries, services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # noon in New York, a Wednesday
TODAY = date(2026, 11, 25)
CRITERIA = {key: True for key in services.CRITERIA_KEYS}


def order(world: World, medication: str = "methadone", mg: int = 60) -> MedicationOrder:
    with time_machine.travel(NOON - timedelta(days=60), tick=False):
        return services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication=medication, dose_mg=mg
        )


def observed(world: World, days: range, medication: str = "methadone", mg: str = "60") -> None:
    """Observed doses on TODAY + each day of `days` (no guard rail: the history is the test's premise)."""
    current = MedicationOrder.objects.get(patient=world.alice, medication=medication, status="active")
    for day in days:
        DoseRecord.objects.create(
            patient=world.alice,
            order=current,
            medication=medication,
            local_date=TODAY + timedelta(days=day),
            sequence=1,
            status="given",
            amount_mg=Decimal(mg),
            treatment_day=1,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=NOON + timedelta(days=day),
        )


def admitted(world: World, days_ago: int) -> None:
    Enrollment.objects.filter(patient=world.alice).update(started_on=TODAY - timedelta(days=days_ago))


def decide(world: World, at: datetime = NOON, **kw: Any) -> TakeHomePlan:
    kw.setdefault("criteria", CRITERIA)
    with time_machine.travel(at, tick=False):
        return services.decide_take_home(by=world.staff["prescriber"], patient_id=world.alice.pk, **kw)


def refused(world: World, **kw: Any) -> set[str]:
    with pytest.raises(TreatmentInvalid) as exc:
        decide(world, **kw)
    return {e.field for e in exc.value.errors}


def api_decide(world: World, body: dict[str, Any]) -> Any:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        return client.post(
            f"/api/v1/patients/{world.alice.pk}/take-homes",
            json.dumps({"criteria": CRITERIA, **body}),
            content_type="application/json",
        )


def fields(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


# 1. Days in treatment count from the methadone episode, not from admission


def test_enrolled_56_days_ago_on_methadone_day_1_gets_7_days_not_28(world: World) -> None:
    order(world)
    admitted(world, 56)
    observed(world, range(0, 1))  # the first methadone dose is today
    plan = decide(world)
    assert plan.days_in_treatment == 0
    assert plan.max_supply_days == 7


def test_days_in_treatment_count_from_the_first_dose_of_this_episode(world: World) -> None:
    order(world)
    admitted(world, 56)
    observed(world, range(-20, 1))  # methadone since 20 days ago
    assert decide(world).days_in_treatment == 20


def test_the_review_page_api_and_decision_show_the_same_number(world: World) -> None:
    order(world)
    admitted(world, 56)
    observed(world, range(-20, 1))
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        review = client.get(f"/api/v1/patients/{world.alice.pk}/take-homes/review").json()
        page = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
    assert review["days_in_treatment"] == 20
    assert "Day 20 in treatment" in page
    assert api_decide(world, {"acknowledged_flags": []}).json()["days_in_treatment"] == 20


# 2. An active methadone order


def test_no_take_homes_without_an_active_methadone_order(world: World) -> None:
    admitted(world, 56)
    assert refused(world) == {"order"}


def test_a_buprenorphine_order_alone_is_not_a_methadone_order(world: World) -> None:
    order(world, "buprenorphine", 16)
    assert refused(world) == {"order"}


def test_the_api_names_the_order(world: World) -> None:
    response = api_decide(world, {})
    assert response.status_code == 422
    assert fields(response) == {"order"}


# 3. Open flags weigh against take-homes: each acknowledged by id


def flag(world: World, kind: str, at: datetime = NOON) -> PatientFlag:
    return PatientFlag.objects.create(
        patient=world.alice, kind=kind, reasons=["x"], source_type="test", source_id=1, raised_at=at
    )


def test_a_dose_held_this_morning_must_be_acknowledged(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    held = flag(world, "dose_held")
    assert refused(world) == {"acknowledged_flags"}
    plan = decide(world, acknowledged_flags=[str(held.pk)])
    assert plan.open_flags == [{"id": str(held.pk), "kind": "dose_held", "raised_on": "2026-11-25"}]


def test_every_open_flag_is_needed_not_just_one(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    use = flag(world, "reported_use")
    flag(world, "suicide_risk")
    assert refused(world, acknowledged_flags=[str(use.pk)]) == {"acknowledged_flags"}


def test_the_refusal_names_each_unacknowledged_flag(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    use = flag(world, "reported_use")
    with pytest.raises(TreatmentInvalid) as exc:
        decide(world)
    assert str(use.pk) in exc.value.errors[0].reason


def test_missed_doses_are_a_concern_to_acknowledge(world: World) -> None:
    order(world)
    observed(world, range(-40, -2))  # nothing yesterday or the day before
    assert refused(world) == {"acknowledged_flags"}
    plan = decide(world, acknowledged_flags=["missed-2026-11-24"])
    assert plan.open_flags[0]["kind"] == "missed_doses"


def test_an_acknowledged_flag_is_a_reason_in_the_decision(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    use = flag(world, "reported_use")
    plan = decide(world, acknowledged_flags=[str(use.pk)])
    assert any("reported use" in r["text"] for r in plan.decision["reasons"])


def test_a_resolved_flag_needs_no_acknowledgement(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    resolved = PatientFlag.objects.filter(pk=flag(world, "reported_use").pk)
    resolved.update(resolved_at=NOON, resolution_note="seen")
    assert decide(world).max_supply_days == 28


def test_the_api_refuses_an_unacknowledged_flag_naming_the_field(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    flag(world, "reported_use")
    response = api_decide(world, {})
    assert response.status_code == 422
    assert fields(response) == {"acknowledged_flags"}


def test_the_review_lists_each_open_flag(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    use = flag(world, "reported_use")
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        review = client.get(f"/api/v1/patients/{world.alice.pk}/take-homes/review").json()
    assert [f["id"] for f in review["open_flags"]] == [str(use.pk)]


# 4. No bottle for a day already past


def test_a_back_dated_start_is_refused(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    assert refused(world, start_on=TODAY - timedelta(days=3)) == {"start_on"}


def test_start_today_is_allowed(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    assert decide(world, start_on=TODAY).bottles[0] == "2026-11-25"


def test_today_is_the_program_zone_s_day_not_utc(world: World) -> None:
    """At 22:00 in New York it is already tomorrow in UTC: today's bottle is allowed, yesterday's not."""
    order(world)
    observed(world, range(-40, 0))
    late = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert decide(world, at=late, start_on=TODAY).bottles[0] == "2026-11-25"
    assert refused(world, start_on=TODAY - timedelta(days=1)) == {"start_on"}


def test_the_api_refuses_a_back_dated_start(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    response = api_decide(world, {"start_on": "2026-11-20"})
    assert response.status_code == 422
    assert fields(response) == {"start_on"}


# 12. An observed dose on a take-home day


def take_home_today(world: World) -> None:
    order(world)
    observed(world, range(-40, -1))  # review 13: no bottle for a day whose observed dose was taken
    decide(world, at=NOON - timedelta(days=1), start_on=TODAY - timedelta(days=1))


def give(world: World, **kw: Any) -> services.DoseOutcome:
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        return services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="60", **kw)


def test_an_observed_dose_on_a_take_home_day_is_refused(world: World) -> None:
    take_home_today(world)
    with pytest.raises(TreatmentInvalid) as exc:
        give(world)
    assert {e.field for e in exc.value.errors} == {"bottle_returned"}


def test_an_observed_dose_with_the_bottle_returned_is_given(world: World) -> None:
    take_home_today(world)
    assert give(world, bottle_returned=True).dose.status == "given"


def test_the_api_refuses_a_dose_on_a_take_home_day(world: World) -> None:
    take_home_today(world)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            json.dumps({"amount_mg": "60", "sequence": 1}),
            content_type="application/json",
        )
    assert response.status_code == 422
    assert fields(response) == {"bottle_returned"}


# 13. Plans belong to an episode


def test_discharge_ends_the_take_home_plan(world: World) -> None:
    take_home_today(world)
    with time_machine.travel(NOON, tick=False):
        patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    assert TakeHomePlan.objects.get().ended_on == TODAY


def test_a_readmission_never_inherits_the_old_plan(world: World) -> None:
    order(world)
    observed(world, range(-40, -1))
    plan = decide(world, at=NOON - timedelta(days=1), start_on=TODAY - timedelta(days=1))
    assert len(plan.bottles) == 28
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        patient_services.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "left"}),
        )
    with time_machine.travel(NOON, tick=False):
        patient_services.readmit(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=ReadmissionIn.posted({"notice_given": True, "consented": True}),
        )
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
        )
        rows = queries.dosing_list(world.staff["nurse"])
    assert [r.status for r in rows] == ["due"]
    assert rows[0].take_home is None


def test_an_old_plan_s_bottles_do_not_hide_missed_days_after_readmission(world: World) -> None:
    order(world)
    observed(world, range(-40, -10))
    decide(world, at=NOON - timedelta(days=10), start_on=TODAY - timedelta(days=10))
    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on=TODAY - timedelta(days=9), end_reason="left"
    )
    Enrollment.objects.create(
        patient=world.alice, program=world.riverside, started_on=TODAY - timedelta(days=5)
    )
    observed(world, range(-5, -3))
    ctx = services.dose_context(world.alice, "methadone", TODAY)
    assert ctx.missed_days_in_a_row == 3


def test_a_new_plan_names_its_episode(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    plan = decide(world)
    assert plan.enrollment == Enrollment.objects.get(patient=world.alice, status="active")


# 14. Buprenorphine at the window


def test_buprenorphine_is_on_the_dosing_list(world: World) -> None:
    order(world, "buprenorphine", 16)
    with time_machine.travel(NOON, tick=False):
        rows = queries.dosing_list(world.staff["nurse"])
    assert [(r.patient.pk, r.medication) for r in rows] == [(world.alice.pk, "buprenorphine")]


def test_buprenorphine_is_in_the_api_s_dosing_list(world: World) -> None:
    order(world, "buprenorphine", 16)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        rows = client.get("/api/v1/dosing/today").json()
    assert [r["medication"] for r in rows] == ["buprenorphine"]


def test_someone_on_both_has_two_rows(world: World) -> None:
    order(world)
    order(world, "buprenorphine", 16)
    with time_machine.travel(NOON, tick=False):
        rows = queries.dosing_list(world.staff["nurse"])
    assert [r.medication for r in rows] == ["methadone", "buprenorphine"]


def test_buprenorphine_given_at_the_window_appears_as_given(world: World) -> None:
    order(world, "buprenorphine", 16)
    observed(world, range(-5, 1), medication="buprenorphine", mg="16")
    with time_machine.travel(NOON, tick=False):
        rows = queries.dosing_list(world.staff["nurse"])
    assert rows[0].status == "given"


# A schedule below the maximum, a stricter state limit, a closure day


def test_a_weekends_only_schedule_below_the_maximum(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    plan = decide(world, bottle_days=["2026-11-28", "2026-11-29"])
    assert plan.bottles == ["2026-11-28", "2026-11-29"]


def test_a_schedule_longer_than_allowed_is_refused(world: World) -> None:
    order(world)
    observed(world, range(-10, 0))  # day 10: up to 7 days
    days = [(TODAY + timedelta(days=i)).isoformat() for i in range(1, 9)]
    assert refused(world, bottle_days=days) == {"bottle_days"}


def test_a_schedule_with_a_past_day_is_refused(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    assert refused(world, bottle_days=["2026-11-24", "2026-11-26"]) == {"bottle_days"}


def test_a_stricter_state_limit_applies(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    assert decide(world, state_max_days=3).max_supply_days == 3


def closed_on(world: World, *days: str) -> None:
    Program.objects.filter(pk=world.riverside.pk).update(closure_days=list(days))


def test_someone_not_eligible_gets_one_dose_for_a_configured_closure_day(world: World) -> None:
    order(world)
    observed(world, range(-3, 0))
    closed_on(world, "2026-11-26")
    plan = decide(world, criteria={**CRITERIA, "regular_attendance": False}, closure_day="2026-11-26")
    assert (plan.max_supply_days, plan.bottles) == (1, ["2026-11-26"])


def test_a_closure_day_the_program_did_not_configure_is_refused(world: World) -> None:
    order(world)
    observed(world, range(-3, 0))
    closed_on(world, "2026-11-26")
    assert refused(world, criteria={**CRITERIA, "regular_attendance": False}, closure_day="2026-11-27") == {
        "closure_day"
    }


def test_a_past_closure_day_is_refused(world: World) -> None:
    order(world)
    observed(world, range(-3, 0))
    closed_on(world, "2026-11-24")
    assert refused(world, criteria={**CRITERIA, "regular_attendance": False}, closure_day="2026-11-24") == {
        "closure_day"
    }


# The window on a real morning: the page


def nurse_page(world: World) -> Client:
    return sign_in(Client(), world.staff["nurse"])


def test_with_htmx_the_row_comes_back_with_its_verdict(world: World) -> None:
    order(world)
    observed(world, range(-5, 0))
    with time_machine.travel(NOON, tick=False):
        client = nurse_page(world)
        response = client.post(
            f"/dosing/{world.alice.pk}/", {"sequence": "1", "amount_mg": "60"}, HTTP_HX_REQUEST="true"
        )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<tr")
    assert f"60 mg given to {world.alice.display_name}." in body


def test_a_blocked_row_looks_different_from_a_dosed_one(world: World) -> None:
    order(world)
    observed(world, range(-5, 0))
    with time_machine.travel(NOON, tick=False):
        client = nurse_page(world)
        blocked = client.post(
            f"/dosing/{world.alice.pk}/", {"sequence": "1", "amount_mg": ""}, HTTP_HX_REQUEST="true"
        ).content.decode()
        given = client.post(
            f"/dosing/{world.alice.pk}/", {"sequence": "1", "amount_mg": "60"}, HTTP_HX_REQUEST="true"
        ).content.decode()
    assert "result-blocked" in blocked
    assert "result-given" in given


def test_without_javascript_the_verdict_shows_on_the_row_after_the_redirect(world: World) -> None:
    order(world)
    observed(world, range(-5, 0))
    with time_machine.travel(NOON, tick=False):
        client = nurse_page(world)
        response = client.post(f"/dosing/{world.alice.pk}/", {"sequence": "1", "amount_mg": "60"})
        assert response.status_code == 302 and response["Location"].endswith(f"#p{world.alice.pk}")
        page = client.get("/dosing/").content.decode()
    row = page[page.index(f'id="p{world.alice.pk}"') :]
    assert "60 mg given to" in row[: row.index("</tr>")]


def test_a_take_home_day_refusal_is_in_plain_words(world: World) -> None:
    take_home_today(world)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        client = nurse_page(world)
        body = client.post(
            f"/dosing/{world.alice.pk}/", {"sequence": "1", "amount_mg": "60"}, HTTP_HX_REQUEST="true"
        ).content.decode()
    assert "today is a take-home day" in body
    assert "bottle_returned:" not in body


def test_find_a_person_by_name(world: World) -> None:
    order(world)
    with time_machine.travel(NOON, tick=False):
        client = nurse_page(world)
        found = client.post("/dosing/", {"q": "zamor"}).content.decode()
        missing = client.post("/dosing/", {"q": "nobody"}).content.decode()
    assert f'id="p{world.alice.pk}"' in found
    assert f'id="p{world.alice.pk}"' not in missing


def test_find_a_person_by_record_number(world: World) -> None:
    order(world)
    with time_machine.travel(NOON, tick=False):
        found = nurse_page(world).post("/dosing/", {"q": "rr-0001"}).content.decode()
    assert f'id="p{world.alice.pk}"' in found


def test_one_tab_stop_per_person(world: World) -> None:
    order(world)
    with time_machine.travel(NOON, tick=False):
        page = nurse_page(world).get("/dosing/").content.decode()
    row = page[page.index(f'id="p{world.alice.pk}"') :]
    row = row[: row.index("</tr>")]
    assert row.count('tabindex="-1"') == row.count("<a ") + row.count("<button") + row.count(
        'type="checkbox"'
    )


def test_buprenorphine_is_on_the_page(world: World) -> None:
    order(world, "buprenorphine", 16)
    with time_machine.travel(NOON, tick=False):
        page = nurse_page(world).get("/dosing/").content.decode()
    assert f'id="p{world.alice.pk}-buprenorphine"' in page


def test_the_take_home_form_acknowledges_flags_from_the_page(world: World) -> None:
    order(world)
    observed(world, range(-40, 0))
    use = flag(world, "reported_use")
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        page = client.get(f"/patients/{world.alice.pk}/medication/").content.decode()
        assert f'name="acknowledged_flags" value="{use.pk}"' in page
        response = client.post(
            f"/patients/{world.alice.pk}/medication/take-homes/",
            {
                **{k: "on" for k in CRITERIA},
                "acknowledged_flags": str(use.pk),
                "state_max_days": "5",
                "bottle_days": "2026-11-28\n2026-11-29",
            },
        )
        assert response.status_code == 302
    plan = TakeHomePlan.objects.get()
    assert (plan.max_supply_days, plan.bottles) == (5, ["2026-11-28", "2026-11-29"])
