"""Lane fix25e (review 25d hole 5): "bottles brought back" never ends a plan. On a plan still running (not
ended, not kept back today) the service refuses (409 on the API, said on the page) and writes nothing; the
end route and its old reading (`ending=None`) are unchanged. Attacked with: the service, the API, the page,
Spanish, the end route beside it. Dates relative to today."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keel.audit.models import AuditEvent
from keel.patients.models import local_today
from keel.treatment.models import TakeHomePlan
from keel.treatment.services import PlanStillRunning, record_bottles_brought_back
from tests.conftest import World, sign_in
from tests.factories import pinned_at_last_five_pm_utc, prescriber_ends, two_bottle_plan

pytestmark = pytest.mark.django_db

BACK = "Person brought the bottle back unopened after our telephone call"
REASON = "Relapse reported: using fentanyl again most days this week"


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield from pinned_at_last_five_pm_utc()


def _day(world: World, n: int) -> date:
    return local_today(world.alice) + timedelta(days=n)


def _plan(world: World) -> TakeHomePlan:
    return two_bottle_plan(world, timezone.now(), _day(world, 1))


def _unchanged(plan: TakeHomePlan) -> None:
    fresh = TakeHomePlan.objects.get(pk=plan.pk)
    assert fresh.ended_on is None and fresh.end_reason == "" and fresh.returned_days == []


def test_the_service_refuses_and_writes_nothing(world: World) -> None:
    plan = _plan(world)
    before = AuditEvent.objects.count()
    with pytest.raises(PlanStillRunning) as refused:
        record_bottles_brought_back(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            plan_id=plan.pk,
            reason=BACK,
            returned_days=[_day(world, 1).isoformat()],
        )
    assert "still running" in str(refused.value)
    _unchanged(plan)
    assert AuditEvent.objects.count() == before


def test_the_api_answers_409_in_english_and_spanish(world: World) -> None:
    plan = _plan(world)
    client = sign_in(Client(), world.staff["prescriber"])
    url = f"/api/v1/patients/{world.alice.pk}/take-homes/{plan.pk}/brought-back"
    body = json.dumps({"reason": BACK, "returned_days": [_day(world, 1).isoformat()]})
    r = client.post(url, body, "application/json")
    assert r.status_code == 409, r.content[:300]
    assert "bottles brought back are recorded after an end" in r.content.decode()
    es = client.post(url, body, "application/json", HTTP_ACCEPT_LANGUAGE="es")
    assert es.status_code == 409 and "El plan sigue vigente" in es.content.decode()
    _unchanged(plan)


def test_the_page_says_it_and_ends_nothing(world: World) -> None:
    plan = _plan(world)
    client = sign_in(Client(), world.staff["prescriber"])
    url = reverse("treatment:take_home_brought_back", args=[world.alice.pk, plan.pk])
    said = client.post(url, {"reason": BACK, "returned_days": [_day(world, 1).isoformat()]}, follow=True)
    text = said.content.decode()
    assert "Bottles brought back recorded" not in text and "still running" in text
    _unchanged(plan)


def test_the_end_route_and_the_old_reading_still_end(world: World) -> None:
    plan = _plan(world)
    # ending=None, no from_day: an end from today, as before
    ended = prescriber_ends(world, plan, REASON, returned_days=[_day(world, 1).isoformat()])
    assert ended.ended_on == _day(world, -1) and ended.returned_days == [_day(world, 1).isoformat()]
    other = _plan(world)
    ended = prescriber_ends(world, other, REASON, ending=True)
    assert ended.ended_on == _day(world, -1)
