"""Review 13b: a request the API authenticates by its session must carry the CSRF token (a page on another
site can make the browser send the cookie, never the token). Writes by session without it: refused, nothing
written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from keel.recovery.models import CheckIn, RecoveryPlan
from keel.treatment.models import Intake
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

CHECKIN = {"craving": 2, "mood": 3, "used": False, "medication": "taken"}


def test_a_checkin_by_session_without_the_csrf_token_writes_nothing(world: World) -> None:
    c = sign_in(Client(enforce_csrf_checks=True), world.alice.user)
    r = c.post(
        "/api/v1/me/checkins", json.dumps(CHECKIN), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert (r.status_code, CheckIn.objects.count()) == (403, 0), r.content[:300]


def test_a_plan_by_session_without_the_csrf_token_writes_nothing(world: World) -> None:
    c = sign_in(Client(enforce_csrf_checks=True), world.alice.user)
    r = c.put("/api/v1/me/plan", json.dumps({"version": 0, "plan": {}}), content_type="application/json")
    assert (r.status_code, RecoveryPlan.objects.count()) == (403, 0), r.content[:300]


def test_an_intake_by_session_without_the_csrf_token_writes_nothing(world: World) -> None:
    c = sign_in(Client(enforce_csrf_checks=True), world.staff["prescriber"])
    r = c.post(
        f"/api/v1/patients/{world.alice.pk}/intakes",
        json.dumps({"pregnant": "no"}),
        content_type="text/plain",
    )
    assert (r.status_code, Intake.objects.count()) == (403, 0), r.content[:300]


def test_a_made_up_bearer_token_beside_a_session_does_not_skip_csrf_or_authenticate(world: World) -> None:
    c = sign_in(Client(enforce_csrf_checks=True), world.alice.user)
    r = c.post(
        "/api/v1/me/checkins",
        json.dumps(CHECKIN),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
        HTTP_AUTHORIZATION="Bearer keel_deadbeef_x",
    )
    assert (r.status_code in (401, 403), CheckIn.objects.count()) == (True, 0), r.content[:300]
