"""Lane fix27b (review 27b H5): a staff member's token (a dispensing system) never hears a service's
refusal that depends on the record: "no active order for this medication" (field `order`), "this person's
episode of care has ended" would say what the record holds (lane after28: the amount's shape is checked
before the record is read, and said). It hears `REFUSED_UNREAD` (`api_auth.may_hear_the_refusal`, asked
by `on_fields_invalid`). The body's own shape (pydantic's check, a body that is not JSON, a medication Keel
does not give: checked before the record is read) stays specific; a caller signed in still hears every
refusal whole; the rule run (no one named) still names its fields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keel.api import REFUSED_UNREAD
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db


def _token(user: Any) -> str:
    from keel.accounts import services

    return services.create_token(user=user, name="pump").secret


def _post(client: Client, path: str, body: Any, **headers: Any) -> Any:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data=raw, content_type="application/json", **headers)


def _dose(world: World, body: Any) -> Any:
    secret = _token(world.staff["nurse"])
    path = f"/api/v1/patients/{world.alice.pk}/doses"
    return _post(Client(), path, body, HTTP_AUTHORIZATION=f"Bearer {secret}")


def _unread(answer: Any) -> None:
    assert answer.status_code == 409, answer.content
    assert answer.json()["message"] == REFUSED_UNREAD
    assert "errors" not in answer.json() or not answer.json()["errors"]


def test_no_active_order_is_not_said_to_a_staff_token(world: World) -> None:
    _unread(_dose(world, {"amount_mg": 30, "sequence": 1, "medication": "methadone"}))


def test_an_amount_is_checked_before_the_record_and_said_to_a_staff_token(world: World) -> None:
    """Lane after28 (was: not said, checked only once an order was found): the amount's shape holds for
    every person and is now checked before the record is read (`guards.body_fields`), so it is said the
    same with or without an order and answers nothing of "is she on methadone"."""
    for medication in ("methadone", "buprenorphine"):
        answer = _dose(world, {"amount_mg": "lots", "sequence": 1, "medication": medication})
        assert answer.status_code == 422, answer.content
        assert [e["field"] for e in answer.json()["errors"]] == ["amount_mg"]
    methadone_with_qtc(world, None, taken=True)
    answer = _dose(world, {"amount_mg": "lots", "sequence": 1})
    assert [e["field"] for e in answer.json()["errors"]] == ["amount_mg"]


def test_the_bodys_shape_is_still_said_to_a_staff_token(world: World) -> None:
    wrong_type = _dose(world, {"amount_mg": 30, "sequence": "first"})
    assert wrong_type.status_code == 422
    assert [e["field"] for e in wrong_type.json()["errors"]] == ["sequence"]
    not_json = _dose(world, "{not json")
    assert not_json.status_code == 422
    assert [e["field"] for e in not_json.json()["errors"]] == ["body"]
    injection = _dose(world, {"amount_mg": 30, "sequence": 1, "medication": "naltrexone"})
    assert injection.status_code == 422
    assert [e["field"] for e in injection.json()["errors"]] == ["medication"]


def test_a_nurse_signed_in_still_hears_why(world: World) -> None:
    nurse = sign_in(Client(), world.staff["nurse"])
    answer = _post(nurse, f"/api/v1/patients/{world.alice.pk}/doses", {"amount_mg": 30, "sequence": 1})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["order"]


def test_the_rule_run_names_its_fields_to_a_staff_token(world: World) -> None:
    """It names no one: its refusals (here, a program not the caller's) come from the body and the caller."""
    secret = _token(world.staff["prescriber"])
    answer = _post(
        Client(),
        "/api/v1/rules/take-home-eligibility",
        {"input": {}, "program": "lakeside"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 422, answer.content
    assert REFUSED_UNREAD not in answer.content.decode()
    assert "program" in [e["field"] for e in answer.json()["errors"]]
