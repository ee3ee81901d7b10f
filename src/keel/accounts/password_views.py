"""Password pages (issue #18): change one's own, ask for a reset link, and choose a new one through it. Each
calls one service in keel.accounts.passwords."""

from __future__ import annotations

from django import forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keel.access.http import AuthenticatedHttpRequest
from keel.accounts import passwords
from keel.accounts.forms import PasswordChangeForm, PasswordResetForm, PasswordResetRequestForm
from keel.accounts.models import User
from keel.core.rules.inputs import FieldsInvalid
from keel.web import field_words
from keel.web.client_address import client_network


def _errors_onto(form: forms.BaseForm, exc: FieldsInvalid) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, field_words.on_page(e))


@require_http_methods(["GET", "POST"])
@login_required
def change_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    status, notice = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            passwords.change_password(
                user=request.user,
                current=form.cleaned_data["current_password"],
                new=form.cleaned_data["new_password"],
                new_again=form.cleaned_data["new_password_again"],
                keep_session=request.session.session_key,
            )
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        else:
            assert isinstance(request.user, User)
            update_session_auth_hash(request, request.user)  # this session stays signed in
            notice = _("Your password is changed. You were signed out everywhere else.")
            form = PasswordChangeForm()
    elif request.method == "POST":
        status = 422
    return render(request, "accounts/password_change.html", {"form": form, "notice": notice}, status=status)


@require_http_methods(["GET", "POST"])
def reset_request_view(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    status, notice = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            passwords.request_reset(
                email=form.cleaned_data["email"],
                base_url=request.build_absolute_uri("/"),
                client=client_network(request),
            )
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        except passwords.TooManyResets:
            notice = _("Too many requests for a new password. Try again in an hour.")
            status = 429
        else:
            notice = _(
                "If an account has this address, we sent it a link to choose a new password. "
                "The link works once, for a short time."
            )
            form = PasswordResetRequestForm()
    elif request.method == "POST":
        status = 422
    return render(request, "accounts/password_reset.html", {"form": form, "notice": notice}, status=status)


@require_http_methods(["GET", "POST"])
def reset_view(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if passwords.user_for_link(uidb64, token) is None:
        return render(request, "accounts/password_reset_gone.html", status=404)
    form = PasswordResetForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            passwords.reset_password(uidb64=uidb64, token=token, **form.cleaned_data)
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        else:
            return render(request, "accounts/password_reset_done.html")
    elif request.method == "POST":
        status = 422
    return render(request, "accounts/password_reset_confirm.html", {"form": form}, status=status)
