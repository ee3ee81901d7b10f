"""Review of issue #18: odd but ordinary input to the episode routes of the API never gives a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.patients.schemas import DischargeIn


def _api(user: Any) -> Client:
    """The staff member's signed-in session on the API. Superseded by review 26a (session 26): was the staff
    member's API token; a staff token no longer discharges or readmits (review 26a H8: readmission by token
    attests notice and consent; H2/H7: its 422 is an oracle), so the bodies' checks (422) are asked of the
    session. A token's refusal of these routes: tests/api/test_staff_token_writes_fix26a.py."""
    from tests.conftest import sign_in

    client = sign_in(Client(), user)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "transferred", "consent": "abc", "recipient_name": "Lakeside", "password": "x"},
        {"reason": "transferred", "consent": [1], "recipient_name": ["Lakeside"], "password": 5},
        {"reason": "transferred", "consent": 10**30, "recipient_name": "Lakeside", "password": "x"},
        {"reason": "transferred", "consent": {"id": 1}, "recipient_name": None, "password": None},
        {"reason": ["left"]},
        {"reason": "left", "ended_on": "2026-02-30"},
        {"reason": "left", "ended_on": "0001-01-01"},
        {"reason": "transferred", "purpose": "other", "purpose_text": 7, "consent": 1, "password": "x"},
    ],
)
def test_held_odd_discharge_bodies_are_a_422(world: Any, body: dict[str, Any]) -> None:
    response = _api(world.staff["counselor"]).post(
        f"/api/v1/patients/{world.alice.pk}/discharge", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"notice_given": "yes", "consented": "yes"},
        {"notice_given": True, "consented": True, "started_on": "tomorrow"},
        {"notice_given": True, "consented": True, "episode_kind": ["otp"]},
        {"notice_given": [True], "consented": {"a": 1}},
    ],
)
def test_held_odd_readmit_bodies_are_a_422(world: Any, body: dict[str, Any]) -> None:
    from keel.patients import services

    services.discharge(
        by=world.staff["counselor"], patient_id=world.alice.pk, data=DischargeIn.posted({"reason": "left"})
    )
    response = _api(world.staff["counselor"]).post(
        f"/api/v1/patients/{world.alice.pk}/readmit", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
