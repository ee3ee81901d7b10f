"""API authentication: a personal access token (Authorization: Bearer keel_...) or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.utils import check_csrf

from keel.accounts import services as accounts

_SAFE = {"GET", "HEAD", "OPTIONS"}


class KeelAuth:
    """Token first; otherwise a signed-in (and, for staff, MFA-verified) session with CSRF on writes."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret:
                return None
            user = accounts.user_for_token(secret.strip())
            if user is None:
                return None
            request.user = user
            return user
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if getattr(user, "requires_mfa", False) and not user.is_verified():
            return None
        if request.method not in _SAFE and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed. Reload the page and try again.")
        return user


keel_auth = KeelAuth()
