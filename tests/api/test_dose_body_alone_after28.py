"""Lane after28: a dose's own fields, the checks that hold for every person (the amount's type and range up to
the absolute 1000 mg, its decimals, the slot of the day, the shape of `given_at`), run before the record is
read (`guards.body_fields`) and are said naming the field to a staff member's token as to a nurse signed in:
the same bytes whether or not she has an order, so they say nothing of the record. A refusal that depends on
the record (no order, `given_at` not her today) stays `REFUSED_UNREAD` to the token, the same bytes for
different records, and is said whole to a nurse signed in."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from keel.api import REFUSED_UNREAD
from keel.treatment.models import DoseRecord
from tests.conftest import World, sign_in
from tests.factories import methadone_with_qtc

pytestmark = pytest.mark.django_db


def _token_client(world: World) -> tuple[Client, dict[str, str]]:
    from keel.accounts import services

    secret = services.create_token(user=world.staff["nurse"], name="pump").secret
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _session_client(world: World) -> tuple[Client, dict[str, str]]:
    return sign_in(Client(), world.staff["nurse"]), {}


CALLERS = {"token": _token_client, "session": _session_client}


def _post(caller: tuple[Client, dict[str, str]], patient: Any, body: dict[str, Any]) -> Any:
    client, headers = caller
    path = f"/api/v1/patients/{patient.pk}/doses"
    return client.post(path, data=json.dumps(body), content_type="application/json", **headers)


def _in_an_hour() -> str:
    return (timezone.now() + timedelta(hours=1)).isoformat()


# (body, the field named): each holds for every person, whatever her record.
BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"amount_mg": -30, "sequence": 1}, "amount_mg"),
    ({"amount_mg": "lots", "sequence": 1}, "amount_mg"),
    ({"amount_mg": "NaN", "sequence": 1}, "amount_mg"),
    ({"amount_mg": 0, "sequence": 1}, "amount_mg"),
    ({"amount_mg": 1000.01, "sequence": 1}, "amount_mg"),
    ({"amount_mg": "5000", "sequence": 1}, "amount_mg"),
    ({"amount_mg": "30.555", "sequence": 1}, "amount_mg"),
    ({"sequence": 1}, "amount_mg"),  # not a hold: the amount is typed, never the order's
    ({"amount_mg": 30, "sequence": 0}, "sequence"),
    ({"amount_mg": 30, "sequence": 11}, "sequence"),
    ({"amount_mg": 30}, "sequence"),  # the API requires the slot
    ({"amount_mg": 30, "sequence": 1, "given_at": "this morning"}, "given_at"),
    ({"amount_mg": 30, "sequence": 1, "given_at": "2026-11-20T09:30:00"}, "given_at"),  # no zone
    ({"amount_mg": 30, "sequence": 1, "given_at": "LATER"}, "given_at"),  # in an hour (below)
    ({"amount_mg": 30, "sequence": 1, "medication": "buprenorphine", "given_at": "LATER"}, "given_at"),
]


def _body(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "given_at": _in_an_hour()} if body.get("given_at") == "LATER" else body


@pytest.mark.parametrize("who", sorted(CALLERS))
@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_a_bad_field_of_the_body_is_named_to_every_caller(
    world: World, who: str, body: dict[str, Any], field: str
) -> None:
    """With no order, then with one: the same 422 naming the field, byte for byte (the record is not read)."""
    caller = CALLERS[who](world)
    without_order = _post(caller, world.alice, _body(body))
    methadone_with_qtc(world, None, taken=True)
    doses = DoseRecord.objects.count()  # her dose of yesterday under the order
    with_order = _post(caller, world.alice, _body(body))
    for answer in (without_order, with_order):
        assert answer.status_code == 422, answer.content
        assert [e["field"] for e in answer.json()["errors"]] == [field]
        assert REFUSED_UNREAD not in answer.content.decode()
    if body.get("given_at") != "LATER":  # its words hold no time; "LATER" is a fresh time each post
        assert without_order.content == with_order.content
    assert DoseRecord.objects.count() == doses


def test_every_bad_field_is_named_at_once_to_a_token(world: World) -> None:
    methadone_with_qtc(world, None, taken=True)
    answer = _post(_token_client(world), world.alice, {"amount_mg": -1, "sequence": 12, "given_at": "x"})
    assert answer.status_code == 422, answer.content
    assert sorted(e["field"] for e in answer.json()["errors"]) == ["amount_mg", "given_at", "sequence"]


def _not_her_today() -> str:
    return (timezone.now() - timedelta(days=2)).isoformat()


def test_a_refusal_of_the_record_is_the_same_bytes_for_different_records(world: World) -> None:
    """No order (Alice), then an order and a `given_at` that is not her today: a token hears the same 409."""
    token = _token_client(world)
    no_order = _post(token, world.alice, {"amount_mg": 30, "sequence": 1})
    earlier = {"amount_mg": 30, "sequence": 1, "given_at": _not_her_today()}
    no_order_earlier = _post(token, world.alice, earlier)
    methadone_with_qtc(world, None, taken=True)
    doses = DoseRecord.objects.count()  # her dose of yesterday under the order
    not_today = _post(token, world.alice, {"amount_mg": 30, "sequence": 1, "given_at": _not_her_today()})
    sedated_no_amount = _post(
        token, world.alice, {"sequence": 1, "sedated": True, "given_at": _not_her_today()}
    )
    answers = [no_order, no_order_earlier, not_today, sedated_no_amount]
    for answer in answers:
        assert answer.status_code == 409, answer.content
        assert answer.json()["message"] == REFUSED_UNREAD
    assert len({a.content for a in answers}) == 1
    assert DoseRecord.objects.count() == doses


def test_a_nurse_signed_in_hears_the_record_dependent_refusals_whole(world: World) -> None:
    session = _session_client(world)
    no_order = _post(session, world.alice, {"amount_mg": 30, "sequence": 1})
    assert no_order.status_code == 422
    assert [e["field"] for e in no_order.json()["errors"]] == ["order"]
    methadone_with_qtc(world, None, taken=True)
    not_today = _post(session, world.alice, {"amount_mg": 30, "sequence": 1, "given_at": _not_her_today()})
    assert not_today.status_code == 422
    assert [e["field"] for e in not_today.json()["errors"]] == ["given_at"]


def test_a_good_body_by_a_token_is_still_recorded(world: World) -> None:
    """The split moved no good dose: 30 mg under her 80 mg order, slot 1, is recorded for the token."""
    methadone_with_qtc(world, None, taken=True)
    doses = DoseRecord.objects.count()
    answer = _post(_token_client(world), world.alice, {"amount_mg": "30", "sequence": 1})
    assert answer.status_code == 201, answer.content
    assert DoseRecord.objects.count() == doses + 1
