"""Sign in (password, then TOTP for staff), sign out, and the lockout page."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.models import Device

from keel.access.http import AuthenticatedHttpRequest
from keel.accounts import queries, services
from keel.accounts.forms import CodeForm, ConfirmPasswordForm, LoginForm, SetupCodeForm
from keel.accounts.middleware import SIGNED_OUT_REASON, mark_session_start
from keel.accounts.models import User
from keel.audit import services as audit
from keel.audit.models import Action, Outcome

PENDING = services.PENDING_SIGN_IN
MFA_SETUP = "keel_mfa_setup"  # the marker of the setup this session started (`services.setup_marker`)
PENDING_SECONDS = 300
MAX_CODE_TRIES = 5
BACKEND = "django.contrib.auth.backends.ModelBackend"


class PendingSignIn(TypedDict):
    """A sign-in between the password and the second factor, as the session keeps it (`PENDING`): who, the
    password it was begun with (the session auth hash; review 23o), when, the codes tried, where it leads,
    and the new authenticator's key when they enrol at sign-in (`_enrol_at_sign_in`)."""

    user_id: int
    auth_hash: str
    at: float
    tries: int
    next: str
    key: NotRequired[str]


def _notice(request: HttpRequest) -> str:
    reason = request.session.pop(SIGNED_OUT_REASON, None)
    if reason == "idle":
        return _("You were signed out after a period of no activity. Please sign in again.")
    if reason == "absolute":
        return _("Your session reached its time limit. Please sign in again.")
    if reason == "mfa":
        return _("Please sign in again and enter your code.")
    return ""


def _next(request: HttpRequest) -> str:
    """Where signing in leads: `next` when it is a path on this site (the link in a reminder opens the
    sign-in page with the person's page as `next`), else the home page. Never another site."""
    target = request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=request.is_secure()
    ):
        return target
    return reverse("web:home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(_next(request))
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = services.check_password(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            services.record_failed_login(username=username, reason="password")
            error = _("That username and password do not match. Please try again.")
        elif queries.second_factor_required(user):
            request.session.cycle_key()
            request.session[PENDING] = PendingSignIn(
                user_id=user.pk,
                auth_hash=user.get_session_auth_hash(),  # the password it was begun with
                at=timezone.now().timestamp(),
                tries=0,
                next=_next(request),
            )
            return HttpResponseRedirect(reverse("accounts:verify"))
        else:
            return _complete_login(request, user, device=None, to=_next(request))
    return render(request, "accounts/login.html", {"form": form, "error": error, "notice": _notice(request)})


def _complete_login(request: HttpRequest, user: User, device: Device | None, to: str = "") -> HttpResponse:
    pending = request.session.pop(PENDING, None) or {}
    login(request, user, backend=BACKEND)
    if device is not None:
        otp_login(request, device)
    mark_session_start(request)
    if user.preferred_language:
        request.session["_language"] = user.preferred_language
    audit.record(actor=user, action=Action.LOGIN, target_type="user", target_id=user.pk)
    return HttpResponseRedirect(to or pending.get("next") or reverse("web:home"))


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    pending: PendingSignIn | None = request.session.get(PENDING)
    if not pending or timezone.now().timestamp() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return HttpResponseRedirect(reverse("accounts:login"))
    user = queries.active_user(pending["user_id"])
    if user is None or not _same_password(pending, user):
        request.session.pop(PENDING, None)
        return HttpResponseRedirect(reverse("accounts:login"))
    if user.requires_mfa and not queries.has_totp_device(user):
        return _enrol_at_sign_in(request, user, pending)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        device = services.verify_totp(user, form.cleaned_data["code"])
        if device is not None:
            return _complete_login(request, user, device)
        pending["tries"] += 1
        request.session[PENDING] = pending
        services.record_failed_login(username=user.username, reason="mfa code")
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING, None)
            return HttpResponseRedirect(reverse("accounts:login"))
        error = _("That code did not work. Wait for a new code and try again.")
    return render(request, "accounts/verify.html", {"form": form, "error": error})


def _same_password(pending: PendingSignIn, user: User) -> bool:
    """The pending sign-in was begun with the person's password as it is now (review 23o): a password reset
    or change since (the session auth hash Django binds signed-in sessions to) ends it."""
    begun_with = pending.get("auth_hash")
    return isinstance(begun_with, str) and constant_time_compare(begun_with, user.get_session_auth_hash())


def _enrol_at_sign_in(request: HttpRequest, user: User, pending: PendingSignIn) -> HttpResponse:
    """A staff member whose authenticator was reset (issue #18): after the password, they add a new one with
    the one-time set-up code they were handed (lane acct35) and its first code, before the session starts.
    The key lives in the pending sign-in only. Each wrong try counts toward this sign-in's MAX_CODE_TRIES;
    a wrong set-up code also toward its own limit across sessions (`services.enroll_with_setup_code`)."""
    from keel.accounts import staff
    from keel.accounts.staff_views import _qr

    if not pending.get("key"):
        pending["key"] = staff.new_totp_key()
        request.session[PENDING] = pending
    form = SetupCodeForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        device = _enrolled(request, user, pending["key"], form.cleaned_data)
        if isinstance(device, Device):
            return _complete_login(request, user, device)
        pending["tries"] += 1
        request.session[PENDING] = pending
        if pending["tries"] >= MAX_CODE_TRIES:
            request.session.pop(PENDING, None)
            return HttpResponseRedirect(reverse("accounts:login"))
        error, status = device, 422
    elif request.method == "POST":
        status = 422
    secret32 = services.totp_secret_base32_of_key(pending["key"])
    context = {
        "form": form,
        "error": error,
        "qr": _qr(services.otpauth_uri(user, secret32)),
        "secret": secret32,
    }
    return render(request, "accounts/enrol.html", context, status=status)


def _enrolled(request: HttpRequest, user: User, key_hex: str, typed: dict[str, str]) -> Device | str:
    """The new authenticator added with the set-up code and the new key's code (the code recorded as used
    on it: review 34d; audited by the service); else the words of what did not work, nothing added."""
    try:
        return services.enroll_with_setup_code(
            user=user,
            setup_code=typed["setup_code"],
            key_hex=key_hex,
            code=typed["code"],
            keep=request.session.session_key,
        )
    except services.AccountError as exc:
        if exc.field == "code":
            services.record_failed_login(username=user.username, reason="mfa enrolment code")
            return _("That code did not work. Wait for a new code and try again.")
        return exc.said()


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(actor=request.user, action=Action.LOGOUT, target_type="user", target_id=request.user.pk)
    logout(request)  # deletes the session row
    return HttpResponseRedirect(reverse("accounts:login"))


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes calls this when username + IP is locked; same page whether or not the user exists."""
    audit.record(
        actor=None,
        action=Action.LOCKED_OUT,
        outcome=Outcome.DENIED,
        target_type="user",
        reason="too many failed sign-ins",
    )
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse(
            {"message": "Too many failed sign-ins. Try again in 15 minutes.", "errors": []}, status=429
        )
    return render(request, "accounts/locked.html", status=429)


@require_safe
@login_required
def mfa_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn two-step sign-in on (any user) or off (patients only); the password is asked again first. Each
    step posts to its own URL: start, confirm, disable."""
    return _mfa_page(request)


@require_POST
@login_required
def mfa_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The password again, then a new key to add to an authenticator app (confirmed by its first code)."""
    user = request.user
    assert isinstance(user, User)
    form, right = _mfa_password(request, user)
    if right:
        device = services.start_totp_enrollment(user=user)
        request.session[MFA_SETUP] = services.setup_marker(device)
    return _mfa_page(request, password_form=form if right is False else None, error=_mfa_wrong(right))


@require_POST
@login_required
def mfa_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The first code from the app turns two-step sign-in on (and counts as this session's second factor)."""
    user = request.user
    assert isinstance(user, User)
    code_form = CodeForm(request.POST)
    error = notice = ""
    started = request.session.get(MFA_SETUP)
    if not services.is_setup_of(queries.pending_totp_device(user), started):
        error = _("Give your password again to set up two-step sign-in on this device.")
    elif code_form.is_valid():
        if services.confirm_totp_enrollment(
            user=user,
            code=code_form.cleaned_data["code"],
            started=started,
            keep=request.session.session_key,
        ):
            request.session.pop(MFA_SETUP, None)
            # The code just given is the second factor of this session too (else the next page ends it).
            device = queries.confirmed_totp_device(user)
            if device is not None:
                otp_login(request, device)
            notice = _("Two-step sign-in is on.")
        else:
            error = _("That code did not work. Wait for a new code and try again.")
    return _mfa_page(request, code_form=code_form, error=error, notice=notice)


@require_POST
@login_required
def mfa_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The password again, then two-step sign-in off (only for those who may go without it). Staff, who
    always use it, are refused out loud (422, audited), the password not even read: nothing changes."""
    user = request.user
    assert isinstance(user, User)
    if user.requires_mfa:
        services.refuse_disable_totp(user=user)
        return _mfa_page(
            request, error=_("Staff always use two-step sign-in. Nothing was changed."), status=422
        )
    form, right = _mfa_password(request, user)
    notice = ""
    if right and not user.requires_mfa:
        services.disable_totp(user=user)
        notice = _("Two-step sign-in is off.")
    return _mfa_page(
        request, password_form=form if right is False else None, error=_mfa_wrong(right), notice=notice
    )


def _mfa_password(request: AuthenticatedHttpRequest, user: User) -> tuple[ConfirmPasswordForm, bool | None]:
    """The password asked again, through django-axes with this request (a lockout answers as at sign-in):
    the form and True when right, False when wrong (audited as a failed sign-in), None when none was given."""
    form = ConfirmPasswordForm(request.POST)
    if not form.is_valid():
        return form, None
    if services.check_password(request, username=user.username, password=form.cleaned_data["password"]):
        return form, True
    services.record_failed_login(username=user.username, reason="re-authentication for mfa change")
    return form, False


def _mfa_wrong(right: bool | None) -> str:
    return _("That password is not right.") if right is False else ""


def _mfa_page(
    request: AuthenticatedHttpRequest,
    *,
    password_form: ConfirmPasswordForm | None = None,
    code_form: CodeForm | None = None,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    pending = queries.pending_totp_device(user)
    if not services.is_setup_of(pending, request.session.get(MFA_SETUP)):
        pending = None  # another session's setup (its password given there, not here): never shown here
    context = {
        "enrolled": queries.has_totp_device(user),
        "can_disable": not user.requires_mfa,
        "pending_secret": services.totp_secret_base32(pending) if pending else "",
        "password_form": ConfirmPasswordForm() if password_form is None else password_form,
        "code_form": CodeForm() if code_form is None else code_form,
        "error": error,
        "notice": notice,
    }
    return render(request, "accounts/mfa.html", context, status=status)
