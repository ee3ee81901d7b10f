"""Session limits (idle and absolute) and the MFA requirement for staff."""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.conf import settings
from django.contrib.auth import logout
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django_otp import middleware as otp_middleware
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from keel.accounts import queries
from keel.accounts.models import PERSON_ROLES
from keel.core.digits import ascii_digits
from keel.db import rows

AUTH_AT = "keel_auth_at"
LAST_SEEN = "keel_last_seen"
SIGNED_OUT_REASON = "keel_signed_out"
_TOUCH_EVERY_SECONDS = 15
SESSION_ENDED = "Your session has ended. Sign in again."


def _signed_out(request: HttpRequest, reason: str) -> HttpResponse:
    logout(request)  # flushes and deletes the server-side session row
    if request.path.startswith("/fhir/"):  # FHIR answers every error as an OperationOutcome (review 22f)
        from keel.interop.rest.outcomes import outcome  # the FHIR error shape

        return outcome(401, "login", SESSION_ENDED)
    if request.path.startswith("/api/"):
        return JsonResponse({"message": SESSION_ENDED, "errors": []}, status=401)
    request.session[SIGNED_OUT_REASON] = reason
    return HttpResponseRedirect(reverse("accounts:login"))


API_PREFIXES = ("/api/", "/fhir/")


def bearer_credential(request: HttpRequest) -> str | None:
    """The token of a request that authenticates by token: `Authorization: Bearer <secret>` on the JSON API or
    FHIR. Nothing else is a token: no header, an empty one, another scheme, `Bearer` with nothing after it, or
    any header on a page. Such a request rides on the session (see `authenticates_by_session`)."""
    if not request.path.startswith(API_PREFIXES):
        return None
    scheme, _, secret = str(request.META.get("HTTP_AUTHORIZATION") or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    return secret


def authenticates_by_session(request: HttpRequest) -> bool:
    """The one definition (SECURITY.md T16) used by these middlewares and by keel.api_auth: a request that
    does not carry a bearer token is authenticated by its session, whatever its Authorization header holds, so
    the idle and absolute limits and the second factor always apply to it."""
    return bearer_credential(request) is None


def may_be_signed_in(request: HttpRequest) -> bool:
    """False only when the request's user is certainly anonymous without asking: its session has no key (no
    session cookie, or one that named no session), so AuthenticationMiddleware's user, read from that empty
    session, is anonymous. Asking `request.user` builds the user (django-otp's and Django's lazy layers, the
    session's load) on every cookie-less request, a health probe's or an API client's with a token; these
    middlewares' checks apply only to a signed-in session, so they skip that work, never a check."""
    session = getattr(request, "session", None)
    return session is None or session.session_key is not None


def mark_session_start(request: HttpRequest) -> None:
    now = timezone.now().timestamp()
    request.session[AUTH_AT] = now
    request.session[LAST_SEEN] = now


class SessionLimitsMiddleware:
    """Sign out after 15 idle minutes (staff) or 30 (patients and self-guided accounts), and always after 12
    hours."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_be_signed_in(request):
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and authenticates_by_session(request):
            now = timezone.now().timestamp()
            auth_at = request.session.get(AUTH_AT)
            last_seen = request.session.get(LAST_SEEN)
            if auth_at is None or last_seen is None:
                mark_session_start(request)
            else:
                idle = (
                    settings.KEEL_IDLE_TIMEOUT_PATIENT
                    if getattr(user, "role", "") in PERSON_ROLES
                    else settings.KEEL_IDLE_TIMEOUT_STAFF
                )
                if now - auth_at > settings.KEEL_SESSION_ABSOLUTE.total_seconds():
                    return _signed_out(request, "absolute")
                if now - last_seen > idle.total_seconds():
                    return _signed_out(request, "idle")
                if now - last_seen > _TOUCH_EVERY_SECONDS:
                    request.session[LAST_SEEN] = now
        return self.get_response(request)


class RequireMFAMiddleware:
    """A session that has not passed its second factor is not a session: end it. Staff always need one;
    anyone else once they have confirmed one (accounts.queries.second_factor_required)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_be_signed_in(request):
            return self.get_response(request)
        user = request.user
        if (
            user.is_authenticated
            and authenticates_by_session(request)
            and not queries.session_passed_second_factor(user)
        ):
            return _signed_out(request, "mfa")
        return self.get_response(request)


_TOTP_LABEL = "otp_totp.totpdevice"
_TOTP_READ = 'FROM "otp_totp_totpdevice" d WHERE d."id" = %s ORDER BY d."id" LIMIT 1'
# Past 64 bits no row has the id and SQLite cannot bind it (OverflowError): django-otp's own read answers.
_MAX_ID = 2**63 - 1


def _device_model(label: str) -> type[Model] | None:
    """The installed django-otp device model a persistent id's `app.model` label names, or None. django-otp
    reads any model's label as a device's: another model's (`accounts.user/1`) fails with an AttributeError, a
    500 on every request of that session (review 14b). Not a device model means no device: the person has not
    passed a second factor, as with a deleted device."""
    app_label, dot, model_name = label.partition(".")
    if not dot:
        return None
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return None
    return model if isinstance(model, type) and issubclass(model, Device) else None


class OTPMiddleware(otp_middleware.OTPMiddleware):  # type: ignore[misc]  # django-otp has no type hints
    """django-otp's, the signed-in person's TOTP device (the one kind Keel enrols) read by a hand-written
    statement (issue #21): `Device.from_persistent_id` built an ORM query on every signed-in request, which
    cost more Python than the read. The same row as `TOTPDevice.objects.filter(id=...).first()`; any other
    persistent id naming a device model (another kind, a malformed id) goes to django-otp's own reading, and
    one naming no device model (`accounts.user/1`, which django-otp fails on with a 500) is no device. Binding
    the device to the user, its confirmation and the session's cleanup stay django-otp's (`_finalize_device`).
    tests/accounts/test_otp_device_read.py holds it to django-otp's on SQLite and PostgreSQL."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        normalized = self._normalize_persistent_id(persistent_id)
        label, _, device_id = normalized.rpartition("/")
        if (
            label != _TOTP_LABEL
            or not device_id.isascii()
            or not ascii_digits(device_id)
            or int(device_id) > _MAX_ID
        ):
            if _device_model(label) is None:
                return None  # no device model named (`accounts.user/1`, `nonsense`): no second factor
            return super()._device_from_persistent_id(persistent_id)
        return rows.fetch_one(_TOTP_READ, [int(device_id)], TOTPDevice, "d")
