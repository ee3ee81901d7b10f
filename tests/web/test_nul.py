"""Text holding a NUL character (U+0000) is refused before any view, with the field named, on both databases
(PostgreSQL cannot store it: the write would end in a server error). Found by the form fuzz test."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from keel.recovery.models import CheckIn, MeetingAttendance
from tests.conftest import World, sign_in
from tests.recovery.conftest import post_checkin

pytestmark = pytest.mark.django_db


def test_an_api_body_with_nul_gets_422_naming_the_field(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    body = {"craving": 3, "mood": 4, "used": False, "medication": "taken", "note": "late\x00night"}
    response = post_checkin(alice, body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "note", "reason": "contains a NUL character (U+0000), which Keel does not accept"}
    ]
    assert response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"
    assert not CheckIn.objects.exists()


def test_a_nested_json_field_and_a_query_parameter_are_named(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    plan = {"version": 0, "plan": {"reasons": ["my kids", "me\x00"]}}
    response = alice.put("/api/v1/me/plan", json.dumps(plan), content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "plan.reasons.1"
    listed = alice.get("/api/v1/me/checkins", {"days": "7\x00"})
    assert listed.status_code == 422
    assert listed.json()["errors"][0]["field"] == "days"


def test_a_form_with_nul_gets_a_page_saying_which_field(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    response = alice.post("/me/meetings/attend/", {"name": "Evening\x00group"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "hidden character" in page
    assert "name" in page
    assert response["X-Frame-Options"] == "DENY"
    assert not MeetingAttendance.objects.exists()


def test_text_without_nul_passes_untouched(world: World) -> None:
    alice = sign_in(Client(), world.alice.user)
    body = {"craving": 3, "mood": 4, "used": False, "medication": "taken", "note": "ok \\u0000 as text"}
    response = post_checkin(alice, body)
    assert response.status_code == 201
    assert response.json()["checkin"]["note"] == "ok \\u0000 as text"
