"""Every answer a middleware makes by itself carries every security header (review 14b): X-Frame-Options, the
Content-Security-Policy and `Cache-Control: no-store` with `Pragma: no-cache`. The header middlewares sit
outside every middleware that can answer, so each such answer passes back through them."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from keel.accounts.middleware import AUTH_AT, LAST_SEEN
from tests.conftest import sign_in

HEADER_MIDDLEWARE = [
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "keel.web.middleware.CachedCSPMiddleware",
    "keel.web.middleware.NoStoreMiddleware",
]
# Middlewares that can answer a request themselves (a redirect, a 401, a 403, a 422) or turn an answer into
# another one (the append-slash and language redirects).
ANSWERING_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "keel.web.middleware.LocaleMiddleware",
    "keel.web.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "keel.accounts.authentication.AuthenticationMiddleware",
    "keel.accounts.middleware.OTPMiddleware",
    "keel.accounts.middleware.SessionLimitsMiddleware",
    "keel.accounts.middleware.RequireMFAMiddleware",
    "keel.web.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
    "keel.web.middleware.RejectNulMiddleware",
]


def _assert_every_header(response: Any) -> None:
    h = response.headers
    assert h.get("X-Frame-Options") == "DENY", (response.status_code, dict(h))
    assert "frame-ancestors 'none'" in h.get("Content-Security-Policy", ""), dict(h)
    assert h.get("Cache-Control") == "no-store", dict(h)
    assert h.get("Pragma") == "no-cache", dict(h)


@pytest.mark.parametrize("answering", ANSWERING_MIDDLEWARE)
@pytest.mark.parametrize("header", HEADER_MIDDLEWARE)
def test_the_header_middlewares_sit_outside_every_answering_one(header: str, answering: str) -> None:
    middleware = list(django_settings.MIDDLEWARE)
    assert middleware.index(header) < middleware.index(answering)


def test_rejectnul_stays_innermost() -> None:
    assert django_settings.MIDDLEWARE[-1] == "keel.web.middleware.RejectNulMiddleware"


@pytest.mark.django_db
def test_append_slash_redirect_is_never_cached(client: Client) -> None:
    """A 301 without Cache-Control may be kept by a browser for good."""
    response = client.get("/patients")
    assert response.status_code == 301 and response["Location"] == "/patients/"
    _assert_every_header(response)


@pytest.mark.django_db
def test_language_redirect_carries_every_header(client: Client) -> None:
    response = client.get("/help/check-my-use/")
    assert response.status_code == 302 and response["Location"] == "/en/help/check-my-use/"
    _assert_every_header(response)


def _age(client: Client, key: str) -> None:
    session = client.session
    session[key] = session[key] - 30 * 24 * 3600
    session.save()


@pytest.mark.parametrize("key", [AUTH_AT, LAST_SEEN])
@pytest.mark.parametrize("path,status", [("/api/v1/caseload", 401), ("/patients/", 302)])
def test_session_limit_sign_outs_carry_every_header(world: Any, key: str, path: str, status: int) -> None:
    client = sign_in(Client(), world.user("nurse"))
    assert client.get("/patients/").status_code == 200
    _age(client, key)
    response = client.get(path)
    assert response.status_code == status
    _assert_every_header(response)


@pytest.mark.parametrize("path,status", [("/api/v1/caseload", 401), ("/patients/", 302)])
def test_second_factor_sign_outs_carry_every_header(world: Any, path: str, status: int) -> None:
    client = sign_in(Client(), world.user("nurse"))
    session = client.session
    del session[DEVICE_ID_SESSION_KEY]
    session.save()
    response = client.get(path)
    assert response.status_code == status
    _assert_every_header(response)


def test_a_session_naming_a_model_that_is_no_device_is_signed_out(world: Any) -> None:
    """django-otp fails on `accounts.user/1` (a 500 on every request); Keel reads it as no device."""
    client = sign_in(Client(), world.user("nurse"))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = f"accounts.user/{world.user('nurse').pk}"
    session.save()
    response = client.get("/patients/")
    assert response.status_code == 302
    _assert_every_header(response)
    assert client.get("/api/v1/caseload").status_code == 401


def test_csrf_refusal_carries_every_header(world: Any) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world.user("nurse"))
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    _assert_every_header(response)


@pytest.mark.django_db
def test_nul_refusal_carries_every_header(client: Client) -> None:
    response = client.get("/healthz?x=%00")
    assert response.status_code == 422
    _assert_every_header(response)
