"""API authentication: a personal access token (Authorization: Bearer keel_...) or the browser session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.utils import check_csrf

from keel.accounts import queries as account_queries
from keel.accounts import services as accounts
from keel.accounts.middleware import bearer_credential
from keel.accounts.models import User

_SAFE = {"GET", "HEAD", "OPTIONS"}


class KeelAuth:
    """A bearer token (`bearer_credential`); otherwise the signed-in session that passed its second factor,
    with CSRF on writes."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> User | None:
        secret = bearer_credential(request)
        if secret is not None:
            user = accounts.user_for_token(secret)
            if user is None:
                return None
            request.user = user
            return user
        # Everything else rides on the session, which SessionLimitsMiddleware and RequireMFAMiddleware have
        # already held to its limits and second factor (the same `authenticates_by_session`).
        user = getattr(request, "user", None)
        if not isinstance(user, User):  # none or anonymous (a lazy User passes: it proxies its class)
            return None
        if not account_queries.session_passed_second_factor(user):
            return None
        if request.method not in _SAFE and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed. Reload the page and try again.")
        return user


keel_auth = KeelAuth()
