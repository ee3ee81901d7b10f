"""SECURITY.md T16, first half: a second factor, once a user has one, is asked on every sign-in path.

The sign-in paths are found, not listed: every route of the URL resolver (pages, the JSON API, FHIR) is sent
the username and password of someone with a confirmed second factor, as a form and as JSON, with no code. None
may answer with a session signed in as that person or with a token. The known paths are then walked with
the code, so the test also proves each still signs people in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from keel.accounts import queries, services
from keel.accounts.models import ApiToken
from keel.audit.models import AuditEvent
from tests.conftest import PASSWORD, World, totp_now

pytestmark = pytest.mark.django_db

ROLES = [
    "patient",
    "self_guided",
    "counselor",
    "nurse",
    "prescriber",
    "peer_specialist",
    "program_admin",
    "auditor",
]
# The routes that turn a visitor into someone signed in. Each must ask a user with a second factor for it.
TOKEN = re.compile(rb"keel_[0-9a-f]{8}_")  # a token's secret, as services.create_token makes it
SIGN_IN_ROUTES = {"accounts:login", "accounts:verify", "api:create_token", "signup:start"}


def _routes(resolver: Any = None, prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in (resolver or get_resolver()).url_patterns:
        here = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p, here, ns + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield ns + (p.name or ""), here


def _concrete(pattern: str) -> str:
    path = re.sub(r"\^\(\?P<\w+>[^)]*\)\$", "Patient", pattern)  # FHIR's catch-all
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", path)


def _with_device(world: World, role: str) -> Any:
    user = world.user(role)
    device = world.devices.get(user.pk) or services.enroll_totp(user=user)
    world.devices[user.pk] = device
    return user, device


def _signed_in_as(client: Client) -> str | None:
    value = client.session.get("_auth_user_id")
    return None if value is None else str(value)


def test_the_sign_in_routes_named_here_exist() -> None:
    names = {name for name, _ in _routes()}
    assert names >= SIGN_IN_ROUTES


@pytest.mark.parametrize("role", ["patient", "self_guided", "nurse"])
def test_no_route_signs_in_with_a_password_alone_once_a_second_factor_exists(world: World, role: str) -> None:
    user, _ = _with_device(world, role)
    fields = {
        "username": user.username,
        "password": PASSWORD,
        "password_again": PASSWORD,
        "understood": "on",
        "time_zone": "America/Chicago",
        "name": "sweep",
    }
    tokens_before = ApiToken.objects.filter(user=user).count()
    leaks = []
    for name, pattern in _routes():
        path = _concrete(pattern)
        for body, content_type in (
            ("&".join(f"{k}={v}" for k, v in fields.items()), "application/x-www-form-urlencoded"),
            (json.dumps(fields), "application/json"),
        ):
            client = Client()
            response = client.post(path, body, content_type=content_type)
            if _signed_in_as(client) == str(user.pk) or TOKEN.search(response.content):
                leaks.append(f"POST {path} ({name}, {content_type})")
    assert leaks == []
    assert ApiToken.objects.filter(user=user).count() == tokens_before


@pytest.mark.parametrize("role", ROLES)
def test_the_sign_in_page_asks_for_the_code(world: World, role: str) -> None:
    user, device = _with_device(world, role)
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/accounts/login/verify/"
    assert _signed_in_as(client) is None
    assert client.get("/api/v1/me").status_code == 401
    client.post("/accounts/login/verify/", {"code": totp_now(device)})
    assert _signed_in_as(client) == str(user.pk)


@pytest.mark.parametrize("role", ROLES)
def test_a_token_needs_the_code(world: World, role: str) -> None:
    user, _ = _with_device(world, role)
    body = {"username": user.username, "password": PASSWORD}
    refused = Client().post("/api/v1/auth/tokens", body, content_type="application/json")
    assert refused.status_code == 401
    assert "token" not in refused.json()


@pytest.mark.parametrize("role", ROLES)
def test_a_token_without_the_code_is_audited_as_a_failed_sign_in(world: World, role: str) -> None:
    user, _ = _with_device(world, role)
    body = {"username": user.username, "password": PASSWORD, "otp_code": ""}
    Client().post("/api/v1/auth/tokens", body, content_type="application/json")
    assert AuditEvent.objects.filter(action="failed_login", reason="api token: mfa code").count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_a_token_with_the_code_is_issued(world: World, role: str) -> None:
    user, device = _with_device(world, role)
    body = {"username": user.username, "password": PASSWORD, "otp_code": totp_now(device)}
    issued = Client().post("/api/v1/auth/tokens", body, content_type="application/json")
    assert issued.status_code == 201


def test_a_patient_without_a_second_factor_still_gets_a_token_with_a_password(world: World) -> None:
    body = {"username": "alice", "password": PASSWORD}
    assert Client().post("/api/v1/auth/tokens", body, content_type="application/json").status_code == 201


@pytest.mark.parametrize("role", ["patient", "self_guided", "nurse"])
def test_a_session_that_skipped_the_second_factor_is_ended(world: World, role: str) -> None:
    """Whatever path made it, a session of someone with a second factor who did not give it is no session."""
    user, _ = _with_device(world, role)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/v1/me").status_code == 401
    assert _signed_in_as(client) is None


def test_a_patient_who_turns_it_on_keeps_their_session(world: World) -> None:
    from tests.conftest import sign_in

    client = sign_in(Client(), world.alice.user)
    client.post("/accounts/mfa/start/", {"password": PASSWORD})
    device = queries.pending_totp_device(world.alice.user)
    assert device is not None
    page = client.post("/accounts/mfa/confirm/", {"code": totp_now(device)})
    assert b"is on" in page.content
    assert client.get("/me/").status_code == 200
