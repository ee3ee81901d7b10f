"""Health check, security headers, error pages without patient data, pages render in both languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings

from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db


def test_healthz_reports_ok() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "worker": "down",
        "failed_jobs": 0,
        "failed_reminders": 0,
        "failed_steps": 0,
    }


def test_healthz_reports_503_when_the_database_is_unreachable(tmp_path: object) -> None:
    # A real unreachable server (nothing listens on port 1), in a separate process.
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))\n"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="keel.settings",
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [503, {"status": "error", "database": "error"}]


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/healthz", "/api/v1/me", "/nope"])
def test_every_response_carries_the_security_headers(path: str) -> None:
    response = Client().get(path)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    for path in ["/", "/accounts/login/", "/patients/", f"/patients/{world.alice.pk}/"]:
        body = (
            Client().get(path).content.decode()
            if path in {"/", "/accounts/login/"}
            else client.get(path).content.decode()
        )
        assert "<script>" not in body
        assert "onclick=" not in body
        assert "javascript:" not in body


def test_the_openapi_document_lists_the_first_resources() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/patients", "/api/v1/patients/{patient_id}", "/api/v1/auth/tokens"} <= set(
        schema["paths"]
    )


def test_unknown_api_paths_answer_json_404() -> None:
    response = Client().get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "errors": []}


def test_a_server_error_page_shows_nothing_of_the_request() -> None:
    from django.test import RequestFactory

    from keel.web.views import server_error

    request = RequestFactory().get("/patients/1/?name=Zamorano")
    body = server_error(request).content.decode()
    assert "Zamorano" not in body
    assert "Traceback" not in body


@pytest.mark.parametrize(("lang", "text"), [("en", "Sign in to Keel"), ("es", "Iniciar sesión en Keel")])
def test_the_login_page_speaks_english_and_spanish(lang: str, text: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE=lang).get("/accounts/login/")
    assert text in response.content.decode()


def test_the_language_switch_keeps_the_reader_on_the_same_page() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "Iniciar sesión" in client.get("/accounts/login/").content.decode()


def test_a_patient_home_redirects_to_their_own_page(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    assert client.get("/").headers["Location"] == "/me/"
    body = client.get("/me/").content.decode()
    assert "Alicia Zamorano" in body
    assert "Quintanilla" not in body


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/healthz", "/api/v1/me", "/nope"])
def test_the_cached_policy_header_is_django_csps_own(path: str) -> None:
    """Keel builds the CSP header once (issue #21); it is the header django-csp builds on every response."""
    cached = Client().get(path)["Content-Security-Policy"]
    again = Client().get(path)["Content-Security-Policy"]
    with override_settings(
        MIDDLEWARE=[
            "csp.middleware.CSPMiddleware" if m == "keel.web.middleware.CachedCSPMiddleware" else m
            for m in django_settings.MIDDLEWARE
        ]
    ):
        stock = Client().get(path)["Content-Security-Policy"]
    assert cached == again == stock


def test_a_changed_policy_is_not_served_from_the_cache() -> None:
    Client().get("/healthz")
    policy = {**django_settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": {"default-src": ["'none'"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert Client().get("/healthz")["Content-Security-Policy"] == "default-src 'none'"
