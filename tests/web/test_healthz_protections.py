"""Every protection of the middleware list applies to `/healthz` as to a page (issue #21).

`/healthz` is what the benchmark sets against a bare Django project (bench/stack.py), so it is the route a
shortcut would exempt; none is. Each test runs on `/healthz` and on a page: the same headers, the request id,
the language, the NUL refusal, CSRF, the session limits, the second factor and the request log."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from csp.exceptions import CSPNonceError
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from keel.accounts.middleware import AUTH_AT, LAST_SEEN
from keel.web.logs import JsonFormatter
from keel.web.middleware import RequestIdLogFilter
from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

PATHS = ["/healthz", "/accounts/login/"]


@pytest.mark.parametrize("path", PATHS)
def test_every_middleware_sees_the_request(path: str) -> None:
    seen: list[str] = []

    def spy(name: str, call: Any) -> Any:
        def __call__(self: Any, request: Any) -> Any:
            seen.append(name)
            return call(self, request)

        return __call__

    classes = {name: import_string(name) for name in django_settings.MIDDLEWARE}
    patches = [mock.patch.object(cls, "__call__", spy(name, cls.__call__)) for name, cls in classes.items()]
    for patch in patches:
        patch.start()
    try:
        assert Client().get(path).status_code == 200
    finally:
        for patch in reversed(patches):
            patch.stop()
    assert seen == list(django_settings.MIDDLEWARE)


@pytest.mark.parametrize("path", PATHS)
def test_every_header_the_middleware_list_writes(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    assert re.fullmatch(r"[0-9a-f]{16}", response["X-Request-ID"])
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("path", PATHS)
def test_a_nonce_asked_for_after_the_header_is_written_is_an_error(path: str) -> None:
    """As django-csp: once the policy header is written, `request.csp_nonce` raises rather than hand out a
    nonce the header does not name; every request, again (Keel's guard is shared and never fills)."""
    for _ in range(2):
        request = Client().get(path).wsgi_request
        assert not request.csp_nonce  # type: ignore[attr-defined]
        with pytest.raises(CSPNonceError):
            str(request.csp_nonce)  # type: ignore[attr-defined]
        assert not request.csp_nonce  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", PATHS)
def test_the_proxys_request_id_is_kept_and_a_malformed_one_replaced(path: str) -> None:
    assert Client().get(path, HTTP_X_REQUEST_ID="proxy-0123456789")["X-Request-ID"] == "proxy-0123456789"
    replaced = Client().get(path, HTTP_X_REQUEST_ID="no spaces allowed")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", replaced)


@pytest.mark.parametrize("path", PATHS)
def test_the_language_is_worked_out(path: str) -> None:
    response = Client().get(path, HTTP_ACCEPT_LANGUAGE="es")
    assert response["Content-Language"] == "es"


@pytest.mark.parametrize("path", PATHS)
def test_nul_in_the_query_is_refused_with_every_header(path: str) -> None:
    response = Client().get(path, {"probe": "a\x00b"})
    assert response.status_code == 422
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Request-ID"]


@pytest.mark.parametrize("path", PATHS)
def test_a_post_without_a_csrf_token_is_refused(path: str) -> None:
    response = Client(enforce_csrf_checks=True).post(path)
    assert response.status_code == 403
    assert response["Cache-Control"] == "no-store"


def _idle_session(world: World) -> tuple[Client, str]:
    client = sign_in(Client(), world.staff["nurse"])
    session = client.session
    now = timezone.now().timestamp()
    session[AUTH_AT] = now - timedelta(minutes=20).total_seconds()
    session[LAST_SEEN] = now - timedelta(minutes=16).total_seconds()
    session.save()
    return client, session.session_key or ""


@pytest.mark.parametrize("path", PATHS)
def test_an_idle_session_is_ended(world: World, path: str) -> None:
    client, key = _idle_session(world)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.parametrize("path", PATHS)
def test_a_session_without_its_second_factor_is_ended(world: World, path: str) -> None:
    client = Client()
    client.force_login(world.staff["nurse"], backend="django.contrib.auth.backends.ModelBackend")
    key = client.session.session_key
    response = client.get(path)
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdLogFilter())
    logger = logging.getLogger("keel.request")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.mark.parametrize("path", PATHS)
def test_the_request_is_logged_with_its_id(request_log: io.StringIO, path: str) -> None:
    response = Client().get(path)
    (line,) = [json.loads(text) for text in request_log.getvalue().splitlines()]
    assert line["path"] == path
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert line["request_id"] == response["X-Request-ID"]
    assert line["message"] == f"GET {path} 200"
    assert (line["level"], line["logger"]) == ("INFO", "keel.request")


def test_a_report_only_policy_set_later_is_honoured() -> None:
    """The CSP middleware works out once whether its cached header applies; a changed setting is seen."""
    assert "Content-Security-Policy-Report-Only" not in Client().get("/healthz")
    report_only = {"DIRECTIVES": {"default-src": ["'self'"]}}
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        assert Client().get("/healthz")["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    assert "Content-Security-Policy-Report-Only" not in Client().get("/healthz")


def test_debugs_own_error_pages_are_left_to_django_csp() -> None:
    assert "Content-Security-Policy" in Client().get("/nope")
    with override_settings(DEBUG=True):
        assert "Content-Security-Policy" not in Client().get("/nope")  # django-csp's exemption
    assert "Content-Security-Policy" in Client().get("/nope")
