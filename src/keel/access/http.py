"""Typed requests for views behind `login_required` (as healthchecks' `AuthenticatedHttpRequest`)."""

from __future__ import annotations

from django.http import HttpRequest

from keel.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose `user` is signed in: the type a view behind `login_required` receives.

    Only a type: Django builds the request; `login_required` (or the middleware) guarantees the user."""

    user: User


class AuthenticatedApiRequest(HttpRequest):
    """A JSON API request that passed `keel.api_auth.keel_auth`: `auth` is the caller (token or session).

    Only a type: ninja sets `auth` before the handler runs and answers 401 itself when there is none."""

    auth: User
