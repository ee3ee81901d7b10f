"""Keel's LocaleMiddleware (issue #21: each request's language worked out once) answers as Django's does:
the same language, status, redirect and headers, for every combination of path, language cookie and
Accept-Language header, on pages, the API, /healthz and the language-prefixed public pages."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

PATHS = ["/healthz", "/api/v1/me", "/accounts/login/", "/es/", "/en/", "/es-mx/", "/xx/", "/nope", "/es/nope"]
COOKIES = [None, "es", "en", "xx"]
ACCEPTS = [None, "es-MX,es;q=0.9", "fr", "*", "en-GB,en;q=0.8"]
HEADERS = ("Vary", "Content-Language", "Location")


def _answers() -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for path, cookie, accept in itertools.product(PATHS, COOKIES, ACCEPTS):
        client = Client()
        if cookie is not None:
            client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = cookie
        headers = {"Accept-Language": accept} if accept is not None else {}
        response = client.get(path, headers=headers)
        answer = (response.status_code, response.wsgi_request.LANGUAGE_CODE)
        out.append((path, cookie, accept, *answer, *(response.get(h) for h in HEADERS)))
    return out


def test_the_language_and_headers_are_djangos() -> None:
    assert "keel.web.middleware.LocaleMiddleware" in django_settings.MIDDLEWARE
    keel = _answers()
    again = _answers()  # now from the remembered answers
    stock = [
        m if m != "keel.web.middleware.LocaleMiddleware" else "django.middleware.locale.LocaleMiddleware"
        for m in django_settings.MIDDLEWARE
    ]
    with override_settings(MIDDLEWARE=stock):
        django = _answers()
    assert keel == again == django


def test_a_change_of_languages_is_seen() -> None:
    Client().get("/healthz", HTTP_ACCEPT_LANGUAGE="es")
    with override_settings(LANGUAGES=[("en", "English")]):
        response = Client().get("/healthz", HTTP_ACCEPT_LANGUAGE="es")
        assert response["Content-Language"] == "en"
    assert Client().get("/healthz", HTTP_ACCEPT_LANGUAGE="es")["Content-Language"] == "es"
