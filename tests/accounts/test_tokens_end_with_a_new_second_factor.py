"""A second factor added or replaced ends every token made before it (review 22p): the old token was made
by the password alone, or under a device the person no longer trusts."""

from __future__ import annotations

import json

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import services
from tests.conftest import PASSWORD, World, totp_now


def _me(secret: str) -> int:
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def _token(username: str, code: str | None = None) -> str:
    body = {"username": username, "password": PASSWORD, "name": "t"}
    if code is not None:
        body["otp_code"] = code
    made = Client().post("/api/v1/auth/tokens", json.dumps(body), content_type="application/json")
    assert made.status_code == 201, made.content
    return str(made.json()["token"])


def _enrol(user: object) -> TOTPDevice:
    device = services.start_totp_enrollment(user=user)  # type: ignore[arg-type]
    assert services.confirm_totp_enrollment(user=user, code=totp_now(device))  # type: ignore[arg-type]
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the same code again within its 30 seconds
    device.refresh_from_db()
    return device


def test_a_replaced_device_ends_the_tokens_made_under_the_old_one(world: World) -> None:
    alice = world.alice.user
    first = _enrol(alice)
    secret = _token(alice.username, totp_now(first))
    _enrol(alice)
    assert _me(secret) == 401


def test_enrolling_directly_ends_earlier_tokens(world: World) -> None:
    alice = world.alice.user
    secret = _token(alice.username)
    services.enroll_totp(user=alice)
    assert _me(secret) == 401


def test_a_token_made_with_the_code_keeps_working(world: World) -> None:
    alice = world.alice.user
    device = _enrol(alice)
    secret = _token(alice.username, totp_now(device))
    assert _me(secret) == 200


def test_a_refused_code_ends_no_token(world: World) -> None:
    alice = world.alice.user
    secret = _token(alice.username)
    services.start_totp_enrollment(user=alice)
    services.confirm_totp_enrollment(user=alice, code="000000x")
    assert _me(secret) == 200
