"""Keel's MessageMiddleware (issue #21: the message storage built when first used) answers as Django's does:
the same cookies and headers when a view adds a message, reads them on the next request, or never touches
them; and a request that never touches them builds no storage at all."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject, empty

from keel.web.middleware import MessageMiddleware

pytestmark = pytest.mark.django_db


def _adds(request: HttpRequest) -> HttpResponse:
    messages.success(request, "Saved.")
    messages.error(request, "And this too.")
    return HttpResponse("added")


def _reads(request: HttpRequest) -> HttpResponse:
    return HttpResponse("|".join(str(m) for m in messages.get_messages(request)))


def _ignores(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nothing")


def _flow(middleware: type, views: list[Callable[[HttpRequest], HttpResponse]]) -> list[tuple[object, ...]]:
    """Run the views in turn through session + messages middleware, carrying cookies like a browser."""
    cookies: dict[str, str] = {}
    out: list[tuple[object, ...]] = []
    for view in views:
        request = RequestFactory().get("/somewhere")
        request.COOKIES.update(cookies)
        response = SessionMiddleware(middleware(view))(request)
        assert isinstance(response, HttpResponse)
        for name, morsel in response.cookies.items():
            if morsel["max-age"] == 0:
                cookies.pop(name, None)
            else:
                cookies[name] = morsel.value
        # (a session id is random: compared by its presence; the messages wait in the session, review 21)
        seen = {
            name: (
                "<session id>" if name == django_settings.SESSION_COOKIE_NAME else m.value,
                m["max-age"],
                m["expires"],
            )
            for name, m in response.cookies.items()
        }
        out.append((response.content, sorted(seen.items()), response.get("Vary")))
    return out


@pytest.mark.parametrize(
    "views",
    [
        [_ignores, _ignores],
        [_adds, _reads, _reads],
        [_adds, _ignores, _reads],
        [_reads, _adds, _adds, _reads],
    ],
    ids=["untouched", "add-then-read", "add-ignore-read", "read-add-add-read"],
)
def test_the_cookies_and_headers_are_djangos(views: list[Callable[[HttpRequest], HttpResponse]]) -> None:
    assert "keel.web.middleware.MessageMiddleware" in django_settings.MIDDLEWARE
    assert issubclass(MessageMiddleware, DjangoMessageMiddleware)  # what Django's own checks look for
    assert _flow(MessageMiddleware, views) == _flow(DjangoMessageMiddleware, views)


def test_an_untouched_request_builds_no_storage() -> None:
    request = RequestFactory().get("/healthz")
    SessionMiddleware(MessageMiddleware(_ignores))(request)
    storage = request._messages  # type: ignore[attr-defined]
    assert isinstance(storage, SimpleLazyObject)
    assert storage._wrapped is empty
