"""Staff pages (issue #18): the program's staff and invitations (program admins), turning an account off, and
the invitation link (anyone holding it). Each calls one service in keel.accounts.staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django import forms
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.accounts import mail, queries, services, staff
from keel.accounts.forms import AcceptForm, InviteForm
from keel.accounts.middleware import mark_session_start
from keel.accounts.models import STAFF_ROLES, Program, Role, User
from keel.accounts.schemas import InvitationIn, ProgramSettingsIn
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.rules.inputs import FieldsInvalid
from keel.web import field_words
from keel.web.client_address import client_network

INVITATION_KEY = "keel_invitation"
BACKEND = "django.contrib.auth.backends.ModelBackend"
ROLE_ORDER = [
    Role.NURSE,
    Role.COUNSELOR,
    Role.PRESCRIBER,
    Role.PEER_SPECIALIST,
    Role.PROGRAM_ADMIN,
    Role.AUDITOR,
]
assert set(ROLE_ORDER) == STAFF_ROLES


def _admin_program(request: AuthenticatedHttpRequest) -> Program:
    programs = [
        p for p in policy.registering_programs(request.user) if policy.can_manage_staff(request.user, p.pk)
    ]
    if not programs:
        raise PermissionDenied
    slug = request.GET.get("program", "")
    return next((p for p in programs if p.slug == slug), programs[0])


def _errors_onto(form: forms.BaseForm, exc: FieldsInvalid) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, field_words.on_page(e))


@require_http_methods(["GET", "POST"])
@login_required
def staff_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    program = _admin_program(request)
    roles = [(r.value, r.label) for r in ROLE_ORDER]
    form = InviteForm(request.POST or None, roles=roles)
    status, notice, error = 200, "", ""
    if request.method == "POST" and form.is_valid():
        try:
            sent = staff.invite(
                by=request.user,
                program_slug=program.slug,
                data=InvitationIn.posted(form.cleaned_data),
                base_url=request.build_absolute_uri("/"),
            )
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        except mail.EmailNotSent:
            error = _(
                "The email could not be sent, so no invitation was made. "
                "Check the mail settings and try again."
            )
            status = 503
        else:
            notice = _("Invitation sent to %(email)s.") % {"email": sent.invitation.email}
            form = InviteForm(roles=roles)
    elif request.method == "POST":
        status = 422
    return _render_staff(request, program, form, status=status, notice=notice, error=error)


def _render_staff(
    request: AuthenticatedHttpRequest,
    program: Program,
    form: InviteForm,
    *,
    status: int,
    notice: str = "",
    error: str = "",
    setup_code: services.IssuedSetupCode | None = None,
) -> HttpResponse:
    _program, people, invitations = staff.staff_of(by=request.user, program_slug=program.slug)
    return render(
        request,
        "accounts/staff.html",
        {
            "program": program,
            "people": people,
            "invitations": invitations,
            "form": form,
            "notice": notice,
            "error": error,
            "setup_code": setup_code,
            "me": request.user.pk,
            "roles": [(r.value, r.label) for r in ROLE_ORDER],
        },
        status=status,
    )


@require_POST
@login_required
def deactivate_view(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    program = _admin_program(request)
    try:
        staff.deactivate(by=request.user, program_slug=program.slug, user_id=user_id)
    except staff.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:
        form = InviteForm(roles=[(r.value, r.label) for r in ROLE_ORDER])
        return _render_staff(request, program, form, status=422, error=field_words.joined(exc.errors))
    return HttpResponseRedirect(reverse("staff:staff") + f"?program={program.slug}")


def _staff_action(
    request: AuthenticatedHttpRequest, act: Callable[..., object], notice: str, **data: Any
) -> HttpResponse:
    program = _admin_program(request)
    try:
        act(by=request.user, program_slug=program.slug, **data)
    except staff.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:
        form = InviteForm(roles=[(r.value, r.label) for r in ROLE_ORDER])
        return _render_staff(request, program, form, status=422, error=field_words.joined(exc.errors))
    form = InviteForm(roles=[(r.value, r.label) for r in ROLE_ORDER])
    return _render_staff(request, program, form, status=200, notice=notice)


@require_POST
@login_required
def reset_second_factor_view(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    """The reset (the admin's own password again: review 20b), then the person's one-time set-up code shown
    to the admin once, on this answer only (never stored, never cached: lane acct35)."""
    program = _admin_program(request)
    form = InviteForm(roles=[(r.value, r.label) for r in ROLE_ORDER])
    try:
        done = staff.reset_second_factor(
            by=request.user,
            program_slug=program.slug,
            user_id=user_id,
            password=request.POST.get("password", ""),
        )
    except staff.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:
        return _render_staff(request, program, form, status=422, error=field_words.joined(exc.errors))
    notice = _(
        "Two-step sign-in was reset. Give them the set-up code below in person or by phone, never by email: "
        "at their next sign-in they type it to add an authenticator app again. It is shown only now."
    )
    response = _render_staff(request, program, form, status=200, notice=notice, setup_code=done.setup_code)
    add_never_cache_headers(response)
    return response


@require_POST
@login_required
def change_role_view(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    return _staff_action(
        request, staff.change_role, _("The role is changed."), user_id=user_id, role=request.POST.get("role")
    )


@require_POST
@login_required
def withdraw_invitation_view(request: AuthenticatedHttpRequest, invitation_id: int) -> HttpResponse:
    """Review 35d: an admin withdraws an open invitation; its link stops working at once."""
    return _staff_action(
        request,
        staff.withdraw_invitation,
        _("The invitation is withdrawn: its link no longer works."),
        invitation_id=invitation_id,
    )


def _qr(uri: str) -> SafeString:
    """The authenticator address as an inline SVG drawn on the server (no script, no request elsewhere)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, title=_("QR code for your authenticator app"))
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703 - segno's SVG (docs/security-checks.md)


@require_http_methods(["GET", "POST"])
def invitation_view(request: HttpRequest, secret: str) -> HttpResponse:
    invitation = staff.open_invitation(secret)
    if invitation is None:
        return render(request, "accounts/invitation_gone.html", status=404)
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_signed_in.html", status=409)
    pending = request.session.get(INVITATION_KEY)
    if not pending or pending.get("invitation") != invitation.pk:
        pending = {"invitation": invitation.pk, "key": staff.new_totp_key()}
        request.session[INVITATION_KEY] = pending
    form = AcceptForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = staff.accept(
                secret=secret, key_hex=pending["key"], address=client_network(request), **form.cleaned_data
            )
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        else:
            request.session.pop(INVITATION_KEY, None)
            login(request, user, backend=BACKEND)
            otp_login(request, queries.confirmed_totp_device(user))  # `accept` confirmed it
            mark_session_start(request)
            audit.record(actor=user, action=Action.LOGIN, target_type="user", target_id=user.pk)
            return HttpResponseRedirect(reverse("web:home"))
    elif request.method == "POST":
        status = 422
    secret32 = services.totp_secret_base32_of_key(pending["key"])
    label = User(username=invitation.email)
    uri = services.otpauth_uri(label, secret32)
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": invitation,
            "role_label": Role(invitation.role).label,
            "form": form,
            "qr": _qr(uri),
            "secret": secret32,
            "uri": format_html("{}", uri),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The program's settings: time zone, dosing-window hours, closure days, contact details (its admins)."""
    program = _admin_program(request)
    status, notice, errors = 200, "", {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            saved = services.update_program_settings(
                by=request.user, slug=program.slug, data=ProgramSettingsIn.posted(values)
            )
        except FieldsInvalid as exc:
            errors = field_words.by_field(exc.errors)
            status = 422
        else:
            program = saved.program
            notice = _("Settings saved.")
            if saved.closure_bottles_kept_back:  # review 39a hole 2: a closure day removed
                notice = f"{notice} {services.closure_bottles_words(saved.closure_bottles_kept_back)}"
            values = {}
    if not values:
        values = {
            "time_zone": program.time_zone,
            "dosing_opens": program.dosing_opens.strftime("%H:%M") if program.dosing_opens else "",
            "dosing_closes": program.dosing_closes.strftime("%H:%M") if program.dosing_closes else "",
            "closure_days": "\n".join(program.closure_days or []),
            "contact_phone": program.contact_phone,
            "contact_address": program.contact_address,
        }
    return render(
        request,
        "accounts/program_settings.html",
        {"program": program, "values": values, "errors": errors, "notice": notice},
        status=status,
    )
