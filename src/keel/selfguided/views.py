"""Pages of an account of one's own: sign up (public), the account's home, download, delete, join a program;
and the care team's one-time code. Each parses, calls one service or query, renders."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.accounts.models import User
from keel.core.sources import cite
from keel.patients.errors import CODE_NOT_MADE, CodeNotMade
from keel.selfguided import queries, services, words
from keel.selfguided.errors import SelfGuidedInvalid, TooManyTries
from keel.web import field_words
from keel.web.client_address import client_network


def _public(request: HttpRequest, template: str, status: int = 200, **context_: Any) -> HttpResponse:
    sources = cite("samhsa-helpline", "lifeline-988")
    return render(request, template, {"public": True, "sources": sources, **context_}, status=status)


def _errors(exc: SelfGuidedInvalid) -> dict[str, str]:
    return {e.field: words.error(e.field, e.reason) for e in exc.errors}


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Make an account of one's own: a username and a password, nothing else."""
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("web:home"))
    username, zone, understood = "", services.TIME_ZONES[0], False
    errors: dict[str, str] = {}
    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        zone = request.POST.get("time_zone", "")
        understood = request.POST.get("understood") == "on"
        language = (get_language() or "en")[:2]
        try:
            user = services.sign_up(
                username=username,
                password=request.POST.get("password", ""),
                password_again=request.POST.get("password_again", ""),
                time_zone=zone,
                understood=understood,
                address=client_network(request),
                language=language,
            )
        except SelfGuidedInvalid as exc:
            errors = _errors(exc)
        except services.TooManySignups:
            return _public(request, "selfguided/too_many.html", status=429)
        else:
            from keel.accounts.views import _complete_login  # the one way every sign-in is completed

            response = _complete_login(request, user, device=None)
            # The signed-in pages' addresses carry no language: keep the one the person chose, as the
            # language form does for everyone signed in.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # "Lax" here
            )
            return response
    return _public(
        request,
        "selfguided/signup.html",
        status=422 if errors else 200,
        values={"username": username, "time_zone": zone, "understood": understood},
        errors=errors,
        time_zones=[(z, words.zone_name(z)) for z in services.TIME_ZONES],
    )


@require_safe
def deleted(request: HttpRequest) -> HttpResponse:
    return _public(request, "selfguided/deleted.html")


def _self_guided(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    if not policy.is_self_guided_account(user):
        raise Http404
    return user


@require_safe
@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    from keel.recovery import queries as recovery

    user = _self_guided(request)
    today, due = recovery.home_summary(user)
    return render(request, "selfguided/home.html", {"today": today, "due": due})


@require_safe
@login_required
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything of one's own (`own_data`), as a JSON file to keep."""
    from keel.selfguided.own_data import own_data

    data = own_data(request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="keel-my-data.json"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _self_guided(request)
    error = ""
    if request.method == "POST":
        try:
            services.delete_account(request=request, user=user, password=request.POST.get("password", ""))
        except services.WrongPassword:
            error = str(words.WRONG_PASSWORD)
        else:
            logout(request)
            return HttpResponseRedirect(reverse("signup:deleted"))
    return render(request, "selfguided/delete.html", {"error": error}, status=422 if error else 200)


@require_http_methods(["GET", "POST"])
@login_required
def join(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1: the code from the care team; a good code shows step 2's form, which posts to `join_sign`."""
    user = _self_guided(request)
    code = request.POST.get("code", "").strip()[:40]
    errors: dict[str, str] = {}
    preview = None
    if request.method == "POST":
        try:
            preview = queries.preview_join(user=user, code=code)
        except SelfGuidedInvalid as exc:
            errors = _errors(exc)
        except TooManyTries:
            errors = {"code": str(words.TOO_MANY_TRIES)}
    return _join_page(request, code=code, preview=preview, errors=errors)


@require_POST
@login_required
def join_sign(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 2: bring my history or not, and sign. The code is checked again, as in step 1."""
    user = _self_guided(request)
    code = request.POST.get("code", "").strip()[:40]
    errors: dict[str, str] = {}
    preview = None
    try:
        preview = queries.preview_join(user=user, code=code)
        services.join_program(
            user=user,
            code=code,
            bring_history={"yes": True, "no": False}.get(request.POST.get("bring_history", "")),
            signature=request.POST.get("signature", ""),
            words=str(words.consent_text(preview.program)),
            language=(get_language() or "en")[:2],
            keep_session=request.session.session_key,
        )
    except SelfGuidedInvalid as exc:
        errors = _errors(exc)
        if "code" in errors:
            preview = None
    except TooManyTries:
        errors, preview = {"code": str(words.TOO_MANY_TRIES)}, None
    else:
        request.session.cycle_key()  # the account is a patient's now: a new key, as after a password change
        return HttpResponseRedirect(reverse("web:home"))
    return _join_page(request, code=code, preview=preview, errors=errors)


def _join_page(
    request: HttpRequest, *, code: str, preview: queries.JoinPreview | None, errors: dict[str, str]
) -> HttpResponse:
    return render(
        request,
        "selfguided/join.html",
        {
            "code": code,
            "preview": preview,
            "bring": request.POST.get("bring_history", ""),
            "signature": request.POST.get("signature", "")[:200],
            "errors": errors,
            "consent": words.consent_text(preview.program) if preview else "",
        },
        status=422 if errors else 200,
    )


@require_POST
@login_required
def link_code(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The care team makes a one-time code for a record without an account (shown once)."""
    try:
        issued = services.issue_link_code(by=request.user, patient_id=patient_id)
        if not issued.made:  # voided as it was stored: no code shown (lane fix38b)
            raise CodeNotMade()
    except PermissionError:
        raise PermissionDenied from None
    except CodeNotMade:  # voided as it was stored: no code, try again (lane fix38b)
        context = {"not_made": gettext(CODE_NOT_MADE), "patient_id": patient_id}
        return render(request, "selfguided/link_code.html", context, status=409)
    except SelfGuidedInvalid as exc:  # an account already, or a death recorded (lane fix27b): its words
        return render(
            request,
            "selfguided/link_code.html",
            {"taken": True, "error": field_words.joined(exc.errors), "patient_id": patient_id},
            status=422,
        )
    return render(request, "selfguided/link_code.html", {"issued": issued, "patient_id": patient_id})
