"""Lane end26: who records take-home bottles brought back. The nurse at the window receives them, so nurses
and prescribers record them (`policy.can_record_brought_back`), on the page
(`take-homes/<plan>/brought-back/`)
and the API (`POST .../take-homes/{plan}/brought-back`); every other role is refused, audited, nothing
written; ending a plan stays the prescriber's. Dates relative to today."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from keel.audit.models import AuditEvent
from keel.patients.models import local_today
from keel.treatment.models import TakeHomePlan
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc, prescriber_ends
from tests.review25a.test_holes import _handed_out_plan

pytestmark = pytest.mark.django_db

BACK = "Person brought the bottle back unopened after our telephone call"
MAY = ["nurse", "prescriber"]
MAY_NOT = ["patient", "counselor", "peer_specialist", "program_admin", "auditor"]


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _day(world: World, n: int) -> date:
    return local_today(world.alice) + timedelta(days=n)


def _ended(world: World) -> TakeHomePlan:
    """Four bottles from tomorrow handed out; the prescriber ends the plan from the third day."""
    plan = _handed_out_plan(world, _day(world, 1), 4)
    prescriber_ends(
        world, plan, "Bottles from the third day not needed: travel plans changed", from_day=_day(world, 3)
    )
    return plan


def _api(world: World, role: str, plan: TakeHomePlan, route: str = "brought-back", **body: Any) -> Any:
    client = sign_in(Client(), world.user(role))
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/{route}",
        json.dumps({"reason": BACK, "returned_days": [_day(world, 3).isoformat()], **body}),
        content_type="application/json",
    )


def _page(world: World, role: str, plan: TakeHomePlan) -> Any:
    client = sign_in(Client(), world.user(role))
    url = reverse("treatment:take_home_brought_back", args=[world.alice.pk, plan.pk])
    return client.post(url, {"reason": BACK, "returned_days": [_day(world, 3).isoformat()]})


def _back(plan: TakeHomePlan) -> list[str]:
    plan.refresh_from_db()
    return list(plan.returned_days or [])


def _denied(plan: TakeHomePlan) -> int:
    return AuditEvent.objects.filter(
        target_type="take_home_plan",
        target_id=str(plan.pk),
        reason="role may not record bottles brought back",
    ).count()


@pytest.mark.parametrize("role", MAY)
def test_api_records_the_bottle_brought_back(world: World, role: str) -> None:
    plan = _ended(world)
    assert _api(world, role, plan).status_code == 200
    assert _back(plan) == [_day(world, 3).isoformat()]


@pytest.mark.parametrize("role", MAY)
def test_api_brought_back_leaves_the_end_as_it_was(world: World, role: str) -> None:
    plan = _ended(world)
    _api(world, role, plan)
    plan.refresh_from_db()
    assert plan.ended_on == _day(world, 2)


@pytest.mark.parametrize("role", MAY)
def test_page_records_the_bottle_brought_back(world: World, role: str) -> None:
    plan = _ended(world)
    assert _page(world, role, plan).status_code == 302
    assert _back(plan) == [_day(world, 3).isoformat()]


@pytest.mark.parametrize("role", MAY_NOT)
def test_api_refuses_every_other_role_and_writes_nothing(world: World, role: str) -> None:
    plan = _ended(world)
    assert _api(world, role, plan).status_code in (403, 404)
    assert _back(plan) == []


@pytest.mark.parametrize("role", ["counselor", "program_admin"])
def test_api_refusal_of_an_in_scope_role_is_a_403_audited(world: World, role: str) -> None:
    plan = _ended(world)
    assert _api(world, role, plan).status_code == 403
    assert _denied(plan) == 1


def test_api_refusal_of_her_own_account_is_a_403_audited_as_a_staff_view(world: World) -> None:
    """Session 39 (lane ownapi39): her own account is refused the care team's routes before the route's own
    role check, audited once as a staff view refused (`policy.refuse_staff_view_to_own_account`)."""
    plan = _ended(world)
    assert _api(world, "patient", plan).status_code == 403
    assert AuditEvent.objects.filter(target_type="api_route", outcome="denied").count() == 1


@pytest.mark.parametrize("role", MAY_NOT)
def test_page_refuses_every_other_role_and_writes_nothing(world: World, role: str) -> None:
    plan = _ended(world)
    assert _page(world, role, plan).status_code in (302, 403, 404)
    assert _back(plan) == []


def test_a_nurse_still_may_not_end_a_plan_by_the_api(world: World) -> None:
    plan = _handed_out_plan(world, _day(world, 1), 4)
    r = _api(world, "nurse", plan, route="end", from_day=_day(world, 3).isoformat(), returned_days=[])
    assert r.status_code == 403
    plan.refresh_from_db()
    assert plan.ended_on is None


def test_a_nurse_may_not_end_a_running_plan_by_the_brought_back_route(world: World) -> None:
    plan = _handed_out_plan(world, _day(world, 1), 4)
    r = _api(world, "nurse", plan)
    assert r.status_code == 409
    plan.refresh_from_db()
    assert plan.ended_on is None


@pytest.mark.parametrize("role", MAY)
def test_the_medication_page_offers_the_brought_back_form(world: World, role: str) -> None:
    plan = _ended(world)
    client = sign_in(Client(), world.user(role))
    page = client.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    assert f'action="{reverse("treatment:take_home_brought_back", args=[world.alice.pk, plan.pk])}"' in page


def test_the_medication_page_offers_no_brought_back_form_to_a_counselor(world: World) -> None:
    plan = _ended(world)
    client = sign_in(Client(), world.user("counselor"))
    page = client.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    assert reverse("treatment:take_home_brought_back", args=[world.alice.pk, plan.pk]) not in page


def test_a_nurse_does_not_see_the_end_form(world: World) -> None:
    plan = _handed_out_plan(world, _day(world, 1), 4)
    client = sign_in(Client(), world.user("nurse"))
    page = client.get(reverse("treatment:medication", args=[world.alice.pk])).content.decode()
    assert reverse("treatment:end_take_home", args=[world.alice.pk, plan.pk]) not in page
