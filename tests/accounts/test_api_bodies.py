"""The accounts API's answers byte for byte (issue #17, lane shape17o): `/me` and the token routes return
their typed `ThingOut` (`keel.accounts.schemas`) where they built dicts; what a client reads must not move by
a byte (keys, their order, the JSON's spacing, the instants' form). Written against the dict-building code
first; the same bytes after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.accounts.models import ApiToken
from tests.conftest import PASSWORD, World, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_second() -> Iterator[datetime]:
    """The clock held on a whole second just after now (a pin relative to now: the world stays valid)."""
    when = timezone.now().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(when, tick=False):
        yield when


def _instant(when: datetime | None) -> str:
    """An instant as the API writes it (UTC, whole seconds here): "2026-12-03T21:48:24Z"."""
    return "null" if when is None else f'"{when.strftime("%Y-%m-%dT%H:%M:%S")}Z"'


def _token_body(row: ApiToken, **secret: str) -> str:
    row.refresh_from_db()
    body = (
        f'{{"id": {row.pk}, "name": {json.dumps(row.name)}, "prefix": "{row.prefix}", '
        f'"created_at": {_instant(row.created_at)}, "expires_at": {_instant(row.expires_at)}, '
        f'"revoked_at": {_instant(row.revoked_at)}, "last_used_at": {_instant(row.last_used_at)}, '
        f'"recipient_name": {json.dumps(row.recipient_name)}'  # review 20c: the one recipient it releases to
    )
    return body + "".join(f', "{k}": "{v}"' for k, v in secret.items()) + "}"


def _create(**body: Any) -> Any:
    return Client().post("/api/v1/auth/tokens", json.dumps(body), content_type="application/json")


def _bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_created_token_byte_for_byte(world: World, at_second: datetime) -> None:
    response = _create(username="alice", password=PASSWORD, name="phone", expires_in_days=7)
    assert response.status_code == 201
    secret = response.json()["token"]
    token = ApiToken.objects.get(user=world.alice.user)
    assert token.expires_at == at_second + timedelta(days=7)
    assert response.content.decode() == _token_body(token, token=secret)


def test_my_tokens_byte_for_byte(world: World, at_second: datetime) -> None:
    first = _create(username="alice", password=PASSWORD, name="phone").json()["token"]
    _create(username="alice", password=PASSWORD, name="tablet ñ")
    response = Client().get("/api/v1/auth/tokens", **_bearer(first))
    assert response.status_code == 200
    tokens = ApiToken.objects.filter(user=world.alice.user).order_by("pk")
    want = "[" + ", ".join(_token_body(t) for t in tokens) + "]"
    assert response.content.decode() == want


def test_a_revoked_token_byte_for_byte(world: World, at_second: datetime) -> None:
    first = _create(username="alice", password=PASSWORD, name="phone").json()["token"]
    other = _create(username="alice", password=PASSWORD, name="old").json()
    response = Client().delete(f"/api/v1/auth/tokens/{other['id']}", **_bearer(first))
    assert response.status_code == 200
    token = ApiToken.objects.get(pk=other["id"])
    assert token.revoked_at == at_second
    assert response.content.decode() == _token_body(token)


def test_a_patients_me_byte_for_byte(world: World, at_second: datetime) -> None:
    alice = world.alice
    response = sign_in(Client(), alice.user).get("/api/v1/me")
    assert response.status_code == 200
    assert response.content.decode() == (
        f'{{"id": {alice.user.pk}, "username": "alice", "role": "patient", "programs": ["riverside"], '
        f'"mfa_enrolled": false, "patient": {{"id": {alice.pk}, '
        f'"display_name": {json.dumps(alice.display_name)}, "program": "riverside"}}}}'
    )


def test_a_staff_members_me_byte_for_byte(world: World, at_second: datetime) -> None:
    nurse = world.staff["nurse"]
    response = sign_in(Client(), nurse).get("/api/v1/me")
    assert response.status_code == 200
    assert response.content.decode() == (
        f'{{"id": {nurse.pk}, "username": "r-nurse", "role": "nurse", "programs": ["riverside"], '
        '"mfa_enrolled": true, "patient": null}'
    )


def test_a_self_guided_persons_me_byte_for_byte(world: World, at_second: datetime) -> None:
    """Dana (a self-guided account, issue #20) is not a patient of a program: no record in /me."""
    dana = world.dana
    response = sign_in(Client(), dana).get("/api/v1/me")
    assert response.status_code == 200
    assert response.content.decode() == (
        f'{{"id": {dana.pk}, "username": "dana-own", "role": "self_guided", "programs": [], '
        '"mfa_enrolled": false, "patient": null}'
    )
