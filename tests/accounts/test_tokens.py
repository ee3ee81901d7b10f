"""Personal access tokens: creation (with TOTP for staff), use, expiry, revocation, clear 422s."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from keel.accounts.models import ApiToken
from tests.conftest import PASSWORD, World, totp_now

pytestmark = pytest.mark.django_db


def _create(client: Client, **body: object) -> Any:
    return client.post("/api/v1/auth/tokens", body, content_type="application/json")


def test_patient_creates_a_token_and_uses_it(world: World) -> None:
    response = _create(Client(), username="alice", password=PASSWORD, name="phone")
    assert response.status_code == 201
    data = response.json()
    assert data["token"].startswith("keel_")
    assert data["name"] == "phone"
    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {data['token']}").json()
    assert me["username"] == "alice"
    assert me["patient"]["id"] == world.alice.pk


def test_only_a_digest_of_the_token_is_stored(world: World) -> None:
    secret = _create(Client(), username="alice", password=PASSWORD).json()["token"]
    token = ApiToken.objects.get()
    assert secret not in (token.digest, token.prefix, token.name)
    assert len(token.digest) == 64


def test_staff_need_a_totp_code_for_a_token(world: World) -> None:
    assert _create(Client(), username="r-nurse", password=PASSWORD).status_code == 401
    bad = _create(Client(), username="r-nurse", password=PASSWORD, otp_code="000000")
    assert bad.status_code == 401
    code = totp_now(world.devices[world.staff["nurse"].pk])
    # Right after a wrong code the device is throttled: even the right code is refused for a moment.
    assert _create(Client(), username="r-nurse", password=PASSWORD, otp_code=code).status_code == 401
    with time_machine.travel(timezone.now() + timedelta(seconds=3)):
        code = totp_now(world.devices[world.staff["nurse"].pk])
        good = _create(Client(), username="r-nurse", password=PASSWORD, otp_code=code)
    assert good.status_code == 201
    token = good.json()["token"]
    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert me["username"] == "r-nurse"
    # Review 25b (H1): a staff token's read of people's records is a release, under a consent, on FHIR only.
    assert Client().get("/api/v1/patients", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403


def test_a_wrong_password_gets_401_without_saying_why(world: World) -> None:
    response = _create(Client(), username="alice", password="wrong password 999")
    assert response.status_code == 401
    assert response.json() == {"message": "Sign in or send a valid API token.", "errors": []}


def test_missing_and_bad_fields_get_422_naming_each_field(world: World) -> None:
    response = _create(Client(), password="", expires_in_days=400)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"username", "password", "expires_in_days"}


@pytest.mark.parametrize("body", [b"\x00", b"{not json", b"\xce\x8b\xff", b'{"username": "alice",'])
def test_a_body_that_is_not_json_gets_422_naming_the_body(world: World, body: bytes) -> None:
    """Not ninja's bare 400 "Cannot parse request body": the same shape as every other bad input."""
    response = Client().post("/api/v1/auth/tokens", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "reason": "is not valid JSON"}]


def test_a_token_stops_working_when_it_expires(world: World) -> None:
    token = _create(Client(), username="alice", password=PASSWORD, expires_in_days=1).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        assert Client().get("/api/v1/me", **auth).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert Client().get("/api/v1/me", **auth).status_code == 401


def test_a_revoked_token_stops_working(world: World) -> None:
    data = _create(Client(), username="alice", password=PASSWORD).json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {data['token']}"}
    listed = Client().get("/api/v1/auth/tokens", **auth).json()
    assert [t["id"] for t in listed] == [data["id"]]
    assert "token" not in listed[0]
    assert Client().delete(f"/api/v1/auth/tokens/{data['id']}", **auth).status_code == 200
    assert Client().get("/api/v1/me", **auth).status_code == 401


def test_nobody_can_revoke_someone_elses_token(world: World) -> None:
    alice = _create(Client(), username="alice", password=PASSWORD).json()
    bob = _create(Client(), username="bob", password=PASSWORD).json()
    response = Client().delete(
        f"/api/v1/auth/tokens/{alice['id']}", HTTP_AUTHORIZATION=f"Bearer {bob['token']}"
    )
    assert response.status_code == 404
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {alice['token']}").status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer nope", "Basic abc", "Bearer keel_00000000_forged"])
def test_malformed_or_unknown_tokens_get_401(world: World, header: str) -> None:
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=header).status_code == 401
