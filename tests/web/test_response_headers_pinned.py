"""The whole header set of a page, an API answer and /healthz, pinned (issue #21, lane perf22).

The middleware list was made cheaper (headers written from values worked out once): every response must
still carry exactly the headers, byte for byte, it carried before, on every kind of route. The sets below
were taken from the middleware as it was before that change; only what differs per request is replaced by
its shape (the request id; a CSRF cookie's value) and the policy's directives are compared in sorted order
(django-csp's own order follows a set's, which changes between processes)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.conftest import World, sign_in

pytestmark = pytest.mark.django_db

# django-csp writes the directives in a set's order (it varies with the process's hash seed): sorted here.
CSP = (
    "base-uri 'none'; connect-src 'self'; default-src 'self'; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; img-src 'self' data:; object-src 'none'; script-src 'self'; style-src 'self'"
)
SECURITY = {
    "Content-Security-Policy": CSP,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Request-ID": "<request id>",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _headers(response: Any) -> dict[str, str]:
    """Every header as sent (names as written), the request id by its shape, each cookie by its name and
    attributes (its value by its length)."""
    found = dict(response.headers.items())
    assert re.fullmatch(r"[0-9a-f]{16}", found["X-Request-ID"])
    found["X-Request-ID"] = "<request id>"
    if "Content-Security-Policy" in found:
        found["Content-Security-Policy"] = "; ".join(sorted(found["Content-Security-Policy"].split("; ")))
    for name, morsel in sorted(response.cookies.items()):
        attributes = "; ".join(
            f"{k}={'<date>' if k == 'expires' else v}" for k, v in sorted(morsel.items()) if v
        )
        found[f"Set-Cookie {name}"] = f"<{len(morsel.value)} characters>; {attributes}"
    return found


def test_healthz() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert _headers(response) == {
        **SECURITY,
        **NO_STORE,
        "Content-Language": "en",
        "Content-Length": str(len(response.content)),
        "Content-Type": "application/json",
        "Vary": "Accept-Language",
    }


def test_healthz_in_spanish() -> None:
    response = Client().get("/healthz", HTTP_ACCEPT_LANGUAGE="es")
    assert _headers(response)["Content-Language"] == "es"
    assert _headers(response)["Vary"] == "Accept-Language"


def test_an_anonymous_page() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert _headers(response) == {
        **SECURITY,
        **NO_STORE,
        "Content-Language": "en",
        "Content-Length": str(len(response.content)),
        "Content-Type": "text/html; charset=utf-8",
        "Vary": "Cookie, Accept-Language",
        "Set-Cookie csrftoken": (
            "<32 characters>; expires=<date>; httponly=True; max-age=31449600; path=/; samesite=Lax"
        ),
    }


def test_a_signed_in_page(world: World) -> None:
    client = sign_in(Client(), world.staff["nurse"])
    response = client.get("/patients/")
    assert response.status_code == 200
    headers = _headers(response)
    assert headers == {
        **SECURITY,
        **NO_STORE,
        "Content-Language": "en",
        "Content-Length": str(len(response.content)),
        "Content-Type": "text/html; charset=utf-8",
        "Vary": "Cookie, Accept-Language",
        **{k: v for k, v in headers.items() if k.startswith("Set-Cookie")},
    }


def test_an_api_answer(world: World) -> None:
    client = sign_in(Client(), world.alice.user)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    headers = _headers(response)
    assert headers == {
        **SECURITY,
        **NO_STORE,
        "Content-Language": "en",
        "Content-Length": str(len(response.content)),
        "Content-Type": "application/json; charset=utf-8",
        "Vary": "Accept-Language, Cookie",
        **{k: v for k, v in headers.items() if k.startswith("Set-Cookie")},
    }


def test_an_api_refusal() -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert _headers(response) == {
        **SECURITY,
        **NO_STORE,
        "Content-Language": "en",
        "Content-Length": str(len(response.content)),
        "Content-Type": "application/json; charset=utf-8",
        "Vary": "Accept-Language, Cookie",
    }


@override_settings(
    SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
@pytest.mark.parametrize("path", ["/healthz", "/accounts/login/"])
def test_hsts_on_a_secure_request(path: str) -> None:
    response = Client().get(path, secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in Client().get(path)  # not over plain HTTP


def test_a_view_that_sets_its_own_headers_keeps_them() -> None:
    """setdefault, as Django's: a header the answer already has is left as it is (a photo's Cache-Control,
    a redirect's Location, a 404's)."""
    response = Client().get("/nope")
    assert response.status_code == 404
    headers = _headers(response)
    assert {k: headers[k] for k in SECURITY} == SECURITY
    assert {k: headers[k] for k in NO_STORE} == NO_STORE


def test_a_header_worked_out_once_is_what_django_stores() -> None:
    """The middleware writes headers into the response's store as `response[name] = value` would (Django's
    `ResponseHeaders._store`: the lowercased name to the name and the value); a bad value is refused."""
    from django.http import BadHeaderError, HttpResponse

    from keel.web.middleware import default_header, header

    django_way = HttpResponse()
    django_way["Content-Language"] = "es"
    ours = HttpResponse()
    default_header(ours, header("Content-Language", "es"))
    assert ours.headers._store == django_way.headers._store
    default_header(ours, header("Content-Language", "en"))  # present: left alone, as setdefault
    assert ours["Content-Language"] == "es"
    with pytest.raises(BadHeaderError):
        header("X-Test", "a\nb")


@pytest.mark.parametrize("path", ["/healthz", "/accounts/login/", "/api/v1/me"])
def test_a_host_not_allowed_is_refused_every_time(path: str) -> None:
    """CommonMiddleware remembers Django's answer per Host header; a refused one stays refused (400), and an
    allowed one is served, whatever came before."""
    for _ in range(2):
        assert Client().get(path, HTTP_HOST="evil.example").status_code == 400
        assert Client().get(path, HTTP_HOST="testserver").status_code in (200, 401)
    with override_settings(ALLOWED_HOSTS=["evil.example"]):
        assert Client().get(path, HTTP_HOST="evil.example").status_code in (200, 401)
    assert Client().get(path, HTTP_HOST="evil.example").status_code == 400
