"""Typed requests for views behind `login_required` (as healthchecks' `AuthenticatedHttpRequest`)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

from keel.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose `user` is signed in: the type a view behind `login_required` receives.

    Only a type: Django builds the request; `login_required` (or the middleware) guarantees the user."""

    user: User


class AuthenticatedApiRequest(HttpRequest):
    """A JSON API request that passed `keel.api_auth.keel_auth`: `auth` is the caller (token or session).

    Only a type: ninja sets `auth` before the handler runs and answers 401 itself when there is none."""

    auth: User


def request_user(request: AuthenticatedHttpRequest) -> User:
    """`request.user` itself: the User the lazy objects of the session middlewares (Django's, then
    django-otp's around it) stand for, evaluated as any use of them would, each wrapper's attributes being
    the User's. A view that hands the caller to a service passes this: every attribute read through the two
    wrappers cost eight Python calls (a dose reads the caller's id, role and state about 20 times, issue
    #21)."""
    user: object = request.user
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user  # type: ignore[return-value]
