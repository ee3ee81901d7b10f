"""Lane fix25c (review 25a holes 2 and 3): an end stops a bottle or is no end; an end on an ended plan brings
the end forward or is a 409 naming the current end; bottles brought back are their own action and never
swallow an end. Attacked with: a blank from_day, today, the last bottle's day, the day after it, a double
POST, two prescribers in turn (a stale page), the page and the API side by side, a hold's end and a keep
back's end, Spanish. Dates relative to today."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import PlanEnd, TakeHomePlan
from keel.treatment.queries.take_home_plans import call_back, plan_days
from keel.treatment.services import PlanAlreadyEnded, record_bottles_brought_back
from keel.treatment.services.doses.window import record_dose
from keel.web.dates import shown_date
from tests.conftest import World, sign_in
from tests.factories import (
    corrected,
    handed_out_today,
    pinned_at_last_five_pm_utc,
    prescriber_ends,
    two_bottle_plan,
)
from tests.review25a.test_holes import _handed_out_plan, _second_prescriber

pytestmark = pytest.mark.django_db

REASON = "Relapse reported: using fentanyl again most days this week"
OTHER = "Bottles from the third day not needed: travel plans changed"
BACK = "Person brought the bottle back unopened after our telephone call"
NO_BOTTLE = "the plan gives no bottle from that day on"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _today(world: World) -> date:
    return local_today(world.alice)


def _day(world: World, n: int) -> date:
    return _today(world) + timedelta(days=n)


def _plan(world: World) -> TakeHomePlan:
    """Two bottles, tomorrow and the day after, not handed out yet."""
    return two_bottle_plan(world, timezone.now(), _day(world, 1))


def _api_end(world: World, plan: TakeHomePlan, by: Any = None, language: str = "en", **body: Any) -> Any:
    client = sign_in(Client(), by or world.staff["prescriber"])
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/end",
        json.dumps({"reason": REASON, **body}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=language,
    )


def _page_end(world: World, plan: TakeHomePlan, by: Any = None, **form: Any) -> str:
    """The page's "End this plan early" form (it always sends from_day: blank is today); the page's text."""
    client = sign_in(Client(), by or world.staff["prescriber"])
    url = reverse("treatment:end_take_home", args=[world.alice.pk, plan.pk])
    page = client.post(url, {"reason": REASON, "from_day": "", "returned_days": "", **form}, follow=True)
    return page.content.decode()


def _ends(plan: TakeHomePlan) -> int:
    return AuditEvent.objects.filter(
        target_type="take_home_plan", target_id=str(plan.pk), reason="reason recorded on the plan's end"
    ).count()


# An end on a running plan: it stops a bottle or is refused


@pytest.mark.parametrize("from_day", [None, 0, 2], ids=["blank", "today", "last bottle's day"])
def test_an_end_that_stops_a_bottle_is_taken(world: World, from_day: int | None) -> None:
    plan = _plan(world)
    body = {} if from_day is None else {"from_day": _day(world, from_day).isoformat()}
    assert _api_end(world, plan, **body).status_code == 200
    plan.refresh_from_db()
    start = _day(world, from_day or 0)
    assert plan.ended_on == start - timedelta(days=1) and plan.end_kind == PlanEnd.PRESCRIBER
    assert not {d for d in plan_days(plan) if d >= start}


@pytest.mark.parametrize("after", [3, 400], ids=["the day after the last bottle", "a year late"])
def test_an_end_past_the_last_bottle_is_refused_naming_from_day(world: World, after: int) -> None:
    plan = _plan(world)
    r = _api_end(world, plan, from_day=_day(world, after).isoformat())
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "from_day"
    assert NO_BOTTLE in r.json()["errors"][0]["reason"]
    plan.refresh_from_db()
    assert plan.ended_on is None and plan.ended_by is None and _ends(plan) == 0
    assert plan_days(plan) == {_day(world, 1), _day(world, 2)}


def test_the_refused_end_leaves_the_real_end_possible(world: World) -> None:
    plan = _plan(world)
    _api_end(world, plan, from_day=_day(world, 400).isoformat())
    assert _api_end(world, plan).status_code == 200
    plan.refresh_from_db()
    assert not plan_days(plan)


def test_the_page_says_the_same_refusal_and_saves_nothing(world: World) -> None:
    plan = _plan(world)
    page = _page_end(world, plan, from_day=_day(world, 3).isoformat())
    assert NO_BOTTLE in page and "from_day" not in page.split("Not saved:")[1][:200]
    plan.refresh_from_db()
    assert plan.ended_on is None


def test_the_refusal_is_said_in_spanish(world: World) -> None:
    plan = _plan(world)
    r = _api_end(world, plan, language="es", from_day=_day(world, 3).isoformat())
    assert r.status_code == 422
    assert "el plan no da ningún frasco desde ese día en adelante" in r.json()["errors"][0]["reason"]


# An end on an ended plan: earlier brings it forward, else a 409 naming the current end


def test_a_double_post_is_one_end_then_a_conflict(world: World) -> None:
    plan = _plan(world)
    first = _api_end(world, plan)
    second = _api_end(world, plan)
    assert (first.status_code, second.status_code) == (200, 409)
    plan.refresh_from_db()
    assert shown_date(_today(world) - timedelta(days=1)) in second.json()["message"]  # lane words32: in words
    assert _ends(plan) == 1


def test_a_double_post_of_the_page_form_says_already_ended(world: World) -> None:
    plan = _plan(world)
    assert "The take-home plan is ended" in _page_end(world, plan)
    again = _page_end(world, plan)
    assert "already ended on" in again and _ends(plan) == 1


def test_an_earlier_end_brings_the_end_forward(world: World) -> None:
    plan = _plan(world)
    assert _api_end(world, plan, reason=OTHER, from_day=_day(world, 2).isoformat()).status_code == 200
    later = _api_end(world, plan, by=_second_prescriber(world))
    assert later.status_code == 200
    plan.refresh_from_db()
    assert plan.ended_on == _today(world) - timedelta(days=1) and not plan_days(plan)
    assert REASON in plan.end_reason and OTHER in plan.end_reason  # the earlier reason stays in the record
    row = AuditEvent.objects.filter(target_type="take_home_plan", target_id=str(plan.pk)).latest("id")
    assert row.detail["earlier_end"] == {
        "ended_on": _day(world, 1).isoformat(),
        "end_kind": PlanEnd.PRESCRIBER,
    }
    assert row.detail["bottles_stopped"] == 1


@pytest.mark.parametrize("later", [2, 3], ids=["the stored end's own day", "after it"])
def test_an_end_that_changes_nothing_is_a_conflict_naming_the_current_end(world: World, later: int) -> None:
    plan = _plan(world)
    _api_end(world, plan, reason=OTHER, from_day=_day(world, 2).isoformat())
    r = _api_end(world, plan, from_day=_day(world, later).isoformat())
    assert r.status_code == 409 and shown_date(_day(world, 1)) in r.json()["message"]
    plan.refresh_from_db()
    assert plan.ended_on == _day(world, 1) and plan.end_reason == OTHER


# Hole 3: a stale end with a bottle brought back


def _a_ended_from_day_3(world: World) -> TakeHomePlan:
    plan = _handed_out_plan(world, _day(world, 1), 4)
    prescriber_ends(world, plan, OTHER, from_day=_day(world, 3))
    return plan


def test_a_stale_page_end_with_a_bottle_back_ends_the_plan_and_records_the_bottle(world: World) -> None:
    plan = _a_ended_from_day_3(world)
    page = _page_end(world, plan, by=_second_prescriber(world), returned_days=_day(world, 3).isoformat())
    assert "The take-home plan is ended" in page
    plan.refresh_from_db()
    assert plan.ended_on == _today(world) - timedelta(days=1)
    assert _day(world, 3).isoformat() in plan.returned_days
    assert set(call_back(world.alice, _today(world))[plan.pk]) == {_day(world, n) for n in (1, 2, 4)}


def test_a_stale_api_end_answers_as_the_page(world: World) -> None:
    plan = _a_ended_from_day_3(world)
    r = _api_end(
        world,
        plan,
        by=_second_prescriber(world),
        from_day=_today(world).isoformat(),
        returned_days=[_day(world, 3).isoformat()],
    )
    assert r.status_code == 200
    assert set(r.json()["call_back"]) == {_day(world, n).isoformat() for n in (1, 2, 4)}


def test_a_stale_end_that_changes_nothing_records_no_bottle(world: World) -> None:
    """B's stale end asks for a later day than A's: 409 with A's end, and B's bottle back is not written."""
    plan = _a_ended_from_day_3(world)
    r = _api_end(
        world,
        plan,
        by=_second_prescriber(world),
        from_day=_day(world, 4).isoformat(),
        returned_days=[_day(world, 3).isoformat()],
    )
    assert r.status_code == 409 and shown_date(_day(world, 2)) in r.json()["message"]
    plan.refresh_from_db()
    assert plan.returned_days == [] and plan.end_reason == OTHER
    page = _page_end(
        world, plan, from_day=_day(world, 4).isoformat(), returned_days=_day(world, 3).isoformat()
    )
    assert "already ended on" in page
    plan.refresh_from_db()
    assert plan.returned_days == []


def test_a_refused_bottle_refuses_the_whole_end(world: World) -> None:
    plan = _a_ended_from_day_3(world)
    with pytest.raises(TreatmentInvalid) as refused:
        prescriber_ends(world, plan, REASON, from_day=_today(world), returned_days=[_day(world, 9)])
    assert refused.value.errors[0].field == "returned_days"
    plan.refresh_from_db()
    assert plan.ended_on == _day(world, 2) and plan.returned_days == []


# Bottles brought back: their own action, page and API


def test_the_call_back_form_posts_to_its_own_action(world: World) -> None:
    plan = _a_ended_from_day_3(world)
    client = sign_in(Client(), world.staff["prescriber"])
    page = client.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    url = reverse("treatment:take_home_brought_back", args=[world.alice.pk, plan.pk])
    assert f'action="{url}"' in page
    said = client.post(url, {"reason": BACK, "returned_days": [_day(world, 3).isoformat()]}, follow=True)
    assert "Bottles brought back recorded" in said.content.decode()
    plan.refresh_from_db()
    assert plan.returned_days == [_day(world, 3).isoformat()] and plan.ended_on == _day(world, 2)


def test_the_api_brought_back_route_never_ends(world: World) -> None:
    plan = _a_ended_from_day_3(world)
    client = sign_in(Client(), world.staff["prescriber"])
    url = f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/brought-back"
    r = client.post(
        url, json.dumps({"reason": BACK, "returned_days": [_day(world, 4).isoformat()]}), "application/json"
    )
    assert r.status_code == 200 and set(r.json()["call_back"]) == {_day(world, 3).isoformat()}
    plan.refresh_from_db()
    assert plan.ended_on == _day(world, 2)
    none = client.post(url, json.dumps({"reason": BACK, "returned_days": []}), "application/json")
    assert none.status_code == 422 and none.json()["errors"][0]["field"] == "returned_days"


def test_bottles_brought_back_need_a_bottle_named(world: World) -> None:
    plan = _a_ended_from_day_3(world)
    with pytest.raises(TreatmentInvalid) as refused:
        record_bottles_brought_back(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            plan_id=plan.pk,
            reason=BACK,
            returned_days="",
        )
    assert refused.value.errors[0].field == "returned_days"


def test_the_empty_brought_back_refusal_is_said_in_spanish(world: World) -> None:
    plan = _a_ended_from_day_3(world)
    client = sign_in(Client(), world.staff["prescriber"])
    r = client.post(
        f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/brought-back",
        json.dumps({"reason": BACK, "returned_days": []}),
        "application/json",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert "indique los frascos devueltos" in r.json()["errors"][0]["reason"]


# A hold's end and a keep back's end


def test_an_end_after_a_hold_brings_the_end_forward_and_calls_the_bottles_back(world: World) -> None:
    plan, _dose = handed_out_today(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, medication="methadone")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.HOLD and {_day(world, 1), _day(world, 2)} <= plan_days(plan)
    assert _api_end(world, plan).status_code == 200
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.PRESCRIBER and not plan_days(plan)
    assert set(call_back(world.alice, _today(world))[plan.pk]) == {_day(world, 1), _day(world, 2)}


def test_a_bottle_back_after_a_hold_is_still_recorded_on_the_end_route(world: World) -> None:
    plan, _dose = handed_out_today(world)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, sedated=True, medication="methadone")
    prescriber_ends(world, plan, BACK, returned_days=[_day(world, 1).isoformat()])
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.HOLD and plan.returned_days == [_day(world, 1).isoformat()]


def test_an_end_after_a_keep_back_today_replaces_it(world: World) -> None:
    plan, dose = handed_out_today(world)
    corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.KEPT_BACK
    assert _api_end(world, plan, from_day=_day(world, 1).isoformat()).status_code == 200
    plan.refresh_from_db()
    assert plan.end_kind == PlanEnd.PRESCRIBER


def test_a_plan_ended_by_a_prescriber_is_not_taken_for_bottles_back_by_the_end_form(world: World) -> None:
    """The service's own switch: `ending=True` with no from_day is an end from today (the page's blank)."""
    plan = _a_ended_from_day_3(world)
    prescriber_ends(world, plan, REASON, returned_days=[_day(world, 3).isoformat()], ending=True)
    plan.refresh_from_db()
    assert plan.ended_on == _today(world) - timedelta(days=1)
    with pytest.raises(PlanAlreadyEnded):
        prescriber_ends(world, plan, REASON, ending=True)
