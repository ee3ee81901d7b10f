"""SECURITY.md T16, second half (and T5): the session limits and the second factor hold on every route that
rides on the session, whatever the Authorization header holds.

Only a bearer token on the JSON API or FHIR is not the session (`keel.accounts.middleware.bearer_credential`,
the one definition that the middlewares and `keel.api_auth` share). Every other header shape — none, empty,
blank, another scheme, `Bearer` with nothing after it — rides on the session, so an idle or over-age session
is ended and answered 401, and its row is deleted. Routes come from the URL resolver."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from keel.accounts.middleware import AUTH_AT, LAST_SEEN
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

NOT_A_TOKEN = {
    "absent": None,
    "empty": "",
    "blank": "   ",
    "bearer-alone": "Bearer",
    "bearer-blank": "Bearer    ",
    "lower-bearer-alone": "bearer",
    "basic": "Basic YWxpY2U6cGFzc3dvcmQ=",
    "other-scheme": "Token abc",
    "junk": "\u00e9\u00e9\u00e9",
}


def _patterns(resolver: Any = None, prefix: str = "") -> Iterator[str]:
    for p in (resolver or get_resolver()).url_patterns:
        here = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _patterns(p, here)
        elif isinstance(p, URLPattern):
            yield here


def _paths(api: bool) -> list[str]:
    out = []
    for pattern in _patterns():
        path = re.sub(r"\^\(\?P<\w+>[^)]*\)\$", "Patient", pattern)
        path = "/" + re.sub(r"<(?:\w+:)?\w+>", "1", path)
        if path.startswith(("/api/", "/fhir/")) == api:
            out.append(path)
    return sorted(set(out))


def _client_with_session(world: World, *, auth_ago: timedelta, seen_ago: timedelta) -> tuple[Client, str]:
    """A fully signed-in nurse whose session began `auth_ago` and was last used `seen_ago` before now."""
    client = sign_in(Client(), world.staff["nurse"])
    session = client.session
    now = timezone.now().timestamp()
    session[AUTH_AT] = now - auth_ago.total_seconds()
    session[LAST_SEEN] = now - seen_ago.total_seconds()
    session.save()
    return client, session.session_key or ""


def _headers(value: str | None) -> dict[str, str]:
    return {} if value is None else {"HTTP_AUTHORIZATION": value}


IDLE = {"auth_ago": timedelta(minutes=20), "seen_ago": timedelta(minutes=16)}
OVER_AGE = {"auth_ago": timedelta(hours=12, minutes=1), "seen_ago": timedelta(minutes=1)}


def _survivors(world: World, calls: list[tuple[str, str]], ages: dict[str, timedelta]) -> list[str]:
    survived = []
    for path, shape in calls:
        client, key = _client_with_session(world, **ages)
        response = client.get(path, **_headers(NOT_A_TOKEN[shape]))
        if response.status_code != 401 or Session.objects.filter(session_key=key).exists():
            survived.append(f"{path} [{shape}] {response.status_code}")
    return survived


@pytest.mark.parametrize("limit", ["idle", "absolute"])
def test_every_api_and_fhir_route_holds_the_session_limits(world: World, limit: str) -> None:
    """Each route once, the header shapes taking turns (every shape on every route would be the same code
    path many times over: the middleware decides before any view)."""
    shapes = list(NOT_A_TOKEN)
    calls = [(path, shapes[i % len(shapes)]) for i, path in enumerate(_paths(api=True))]
    with time_machine.travel(timezone.now(), tick=False):
        assert _survivors(world, calls, IDLE if limit == "idle" else OVER_AGE) == []


@pytest.mark.parametrize("limit", ["idle", "absolute"])
@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/patients", "/fhir/R4/Patient"])
def test_every_header_shape_holds_the_session_limits(world: World, limit: str, path: str) -> None:
    calls = [(path, shape) for shape in NOT_A_TOKEN]
    with time_machine.travel(timezone.now(), tick=False):
        assert _survivors(world, calls, IDLE if limit == "idle" else OVER_AGE) == []


def test_every_page_holds_the_idle_limit(world: World) -> None:
    survived = []
    with time_machine.travel(timezone.now(), tick=False):
        for path in _paths(api=False):
            client, key = _client_with_session(world, **IDLE)
            client.get(path, HTTP_AUTHORIZATION="")
            if Session.objects.filter(session_key=key).exists():
                survived.append(path)
    assert survived == []


@pytest.mark.parametrize("shape", list(NOT_A_TOKEN))
def test_a_session_that_skipped_the_code_gets_nothing_whatever_the_header(world: World, shape: str) -> None:
    client = Client()
    client.force_login(world.staff["nurse"], backend="django.contrib.auth.backends.ModelBackend")
    key = client.session.session_key
    assert client.get("/api/v1/me", **_headers(NOT_A_TOKEN[shape])).status_code == 401
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.parametrize("shape", list(NOT_A_TOKEN))
def test_a_fresh_session_works_whatever_the_header(world: World, shape: str) -> None:
    """The other side: a live session is not refused because of a stray header."""
    with time_machine.travel(timezone.now(), tick=False):
        client, _ = _client_with_session(world, auth_ago=timedelta(minutes=1), seen_ago=timedelta(minutes=1))
        assert client.get("/api/v1/me", **_headers(NOT_A_TOKEN[shape])).status_code == 200


def test_a_bearer_token_call_is_not_the_session(world: World) -> None:
    from keel.accounts import services

    token = services.create_token(user=world.alice.user).secret
    with time_machine.travel(timezone.now(), tick=False):
        client, _ = _client_with_session(world, **IDLE)
        me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert me.json()["username"] == "alice"
