"""Front-desk pages (issue #18): register a patient; the care team. Each calls one service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.accounts.middleware import mark_session_start
from keel.accounts.names import staff_choices
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core.rules.inputs import FieldError, FieldsInvalid
from keel.patients import care_gap, photos, queries, services
from keel.patients.errors import CODE_NOT_MADE
from keel.patients.forms import ActivateForm, CareTeamForm, ContactForm, RegistrationForm, ResetWithCodeForm
from keel.patients.models import EndReason, EpisodeKind, PatientPhoto, death_recorded, local_today, zone_of
from keel.patients.schemas import (
    ActivationCodeIn,
    CareTeamsIn,
    ContactIn,
    DischargeIn,
    ReadmissionIn,
    RegistrationIn,
    ResetCodeIn,
    SecondFactorResetIn,
    UndoDeathIn,
)
from keel.recovery.common import StaleEdit
from keel.web import field_words
from keel.web.client_address import client_network


def _errors_onto(
    form: RegistrationForm | CareTeamForm | ActivateForm | ResetWithCodeForm | ContactForm, exc: FieldsInvalid
) -> None:
    for e in exc.errors:
        form.add_error(e.field if e.field in form.fields else None, field_words.on_page(e))


def _field_said(name: str, reason: str) -> str:
    """A field's problem on the episodes page, named as the page labels the field."""
    labels = {
        "ended_on": _("Last day of care"),
        "reason": _("Reason"),
        "started_on": _("First day of the new episode"),
        "confirmed": _("Readmit this person"),
        "recipient_name": _("Receiving program (as the consent names it)"),
        "consent": _("Consent number (on the Sharing page)"),
        "password": _("Your password again"),
        "purpose": _("Purpose"),
        "notice_given": _("Privacy notice"),
        "consented": _("Consent to treatment"),
        "undo_confirmed": _("Undo the death"),
    }
    return f"{labels[name]}: {_(reason)}" if name in labels else _(reason)


@require_http_methods(["GET", "POST"])
@login_required
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    programs = policy.registering_programs(request.user)
    if not programs:
        raise PermissionDenied
    form = RegistrationForm(request.POST or None, request.FILES or None, programs=programs)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items()}
        photo = data.pop("photo", None)
        try:
            done = services.register_patient(by=request.user, data=RegistrationIn.posted(data), photo=photo)
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        else:
            return HttpResponseRedirect(
                reverse("web:patient_detail", args=[done.patient.pk]) + "?registered=1"
            )
    elif request.method == "POST":
        status = 422
    duplicate = "not_a_duplicate" in form.errors
    return render(request, "patients/register.html", {"form": form, "duplicate": duplicate}, status=status)


@require_safe
@login_required
def care_team(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The patient's care team, with add and remove for the program's admins (each posts to its own URL)."""
    return _care_team_page(request, patient_id)


@require_http_methods(["POST"])
@login_required
def add_to_care_team(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Put a staff member of the program on the patient's care team (program admins)."""
    try:
        services.add_to_care_team(
            by=request.user, patient_id=patient_id, user_id=request.POST.get("user_id", "")
        )
    except services.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:
        return _care_team_page(request, patient_id, status=422, error=field_words.joined(exc.errors))
    return HttpResponseRedirect(reverse("patients:care_team", args=[patient_id]))


@require_http_methods(["POST"])
@login_required
def remove_from_care_team(request: AuthenticatedHttpRequest, patient_id: int, user_id: int) -> HttpResponse:
    """Take a staff member off the patient's care team (program admins)."""
    try:
        services.remove_from_care_team(by=request.user, patient_id=patient_id, user_id=user_id)
    except services.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:
        return _care_team_page(request, patient_id, status=422, error=field_words.joined(exc.errors))
    return HttpResponseRedirect(reverse("patients:care_team", args=[patient_id]))


def _care_team_page(
    request: AuthenticatedHttpRequest, patient_id: int, *, status: int = 200, error: str = ""
) -> HttpResponse:
    patient = queries.get_patient(request.user, patient_id)
    program = queries.program_of(patient)
    can_manage = policy.can_manage_care_team(request.user, program.pk)
    form = None
    if can_manage:
        on_team = {m.id for m in patient.care_team}
        candidates = [u for u in queries.team_candidates(program) if u.pk not in on_team]
        form = CareTeamForm(candidates=candidates, zone=program.time_zone)
    return render(
        request,
        "patients/care_team.html",
        {"patient": patient, "can_manage": can_manage, "form": form, "error": error},
        status=status,
    )


@require_safe
@login_required
def episodes(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Episodes of care, with the discharge (date, reason) or readmission form; each posts to its own URL."""
    return _episodes_page(request, patient_id)


@require_http_methods(["POST"])
@login_required
def discharge(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """End the episode of care (date, reason; a transfer names the receiving program and its consent)."""
    try:
        ended = services.discharge(
            by=request.user, patient_id=patient_id, data=DischargeIn.posted(request.POST.dict())
        )
    except services.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:
        return _episodes_page(request, patient_id, status=422, error=_episode_error(exc))
    if ended.ended_own_account:
        messages.info(
            request,
            _(
                "This person's own Keel account was turned off: its sessions ended and its API tokens no "
                "longer work."
            ),
        )
    return HttpResponseRedirect(reverse("patients:episodes", args=[patient_id]))


@require_http_methods(["POST"])
@login_required
def readmit(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Open a new episode of care for someone discharged earlier, once the page's confirmation is ticked."""
    try:
        if request.POST.get("confirmed") != "on":  # the page asks first, naming the last episode
            raise FieldsInvalid(
                [
                    FieldError(
                        "confirmed",
                        _("check the last episode's dates and confirm this is the same person"),
                    )
                ]
            )
        body = ReadmissionIn.posted(request.POST.dict())
        services.readmit(by=request.user, patient_id=patient_id, data=body)
    except services.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:
        return _episodes_page(request, patient_id, status=422, error=_episode_error(exc))
    return HttpResponseRedirect(reverse("patients:episodes", args=[patient_id]))


@require_http_methods(["POST"])
@login_required
def undo_death(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Undo a death recorded by mistake (a program admin), once the page's confirmation is ticked and a reason
    given; the admin is told her own account stays off and she needs a new activation code."""
    try:
        undone = services.undo_death(
            by=request.user,
            patient_id=patient_id,
            data=UndoDeathIn.posted(request.POST.dict()),
            confirmed=request.POST.get("undo_confirmed") == "on",  # the page's step, asked after the role
        )
    except services.NotAllowed:
        raise PermissionDenied from None
    except FieldsInvalid as exc:  # lane priv30: the typed reason kept, the field named as the form labels it
        error = _episode_error(exc, {"reason": _("Why the death was recorded by mistake")})
        return _episodes_page(
            request,
            patient_id,
            status=422,
            error=error,
            undo_reason=request.POST.get("reason", ""),
            undo_marks=field_words.by_field(exc.errors),  # each beside its field too (lane look31)
        )
    messages.info(
        request,
        _(
            "The death recorded by mistake is undone: this person is in care again. Medication orders and "
            "take-home plans stay stopped until a prescriber decides."
        ),
    )
    if undone.own_account_off:
        messages.info(
            request,
            _(
                "This person's own Keel account stays off. To use Keel again, they need a new account: give "
                "them a new activation code."
            ),
        )
    if undone.consents_revoked:
        messages.info(
            request,
            _("Consents a personal representative signed while the death was recorded are revoked."),
        )
    return HttpResponseRedirect(reverse("patients:episodes", args=[patient_id]))


def _episode_error(exc: FieldsInvalid, labels: dict[str, str] | None = None) -> str:
    """The refusal on the episodes page; `labels`: a form's own label of a field the page's others share
    (the undo-death form's `reason` is "Why the death was recorded by mistake", not the discharge's)."""
    return " ".join(
        f"{labels[e.field]}: {field_words.on_page(e)}"
        if labels and e.field in labels
        else _field_said(e.field, field_words.on_page(e))
        for e in exc.errors
    )


def _episodes_page(
    request: AuthenticatedHttpRequest,
    patient_id: int,
    *,
    status: int = 200,
    error: str = "",
    undo_reason: str = "",
    undo_marks: dict[str, str] | None = None,
) -> HttpResponse:
    patient, rows = queries.episodes(request.user, patient_id)
    in_care = any(e.status == "active" for e in rows)
    emergency = policy.through_emergency_access(request.user, patient)  # the scoped patient carries it
    return render(
        request,
        "patients/episodes.html",
        {
            "patient": patient,
            "episodes": rows,
            "in_care": in_care,
            "last": next((e for e in rows if e.status != "active" and e.ended_on), None),
            # a readmission is refused after a death (`episodes.readmit`): not offered, the page says why
            "died": not in_care and death_recorded(patient.pk),
            # a death recorded by mistake: the program's admins may undo it (`deaths.undo_death`)
            "can_undo_death": policy.can_undo_death(request.user, patient.program_id) and not emergency,
            "undo_days": settings.KEEL_DEATH_UNDO_DAYS,
            "undo_reason": undo_reason,  # a refused undo's reason, typed again into its field (escaped)
            "undo_marks": undo_marks or {},
            # the readmission's warning (never a refusal): no nurse or prescriber on the team can act for her
            "no_dosing_team": not in_care and care_gap.GAP_DOSING in care_gap.team_gaps(patient),
            # under emergency access the services refuse a discharge or readmission: not offered (review 19d)
            "emergency": emergency,
            "can_manage": policy.can_manage_episode(request.user, patient.program_id) and not emergency,
            "reasons": EndReason.choices,
            "kinds": EpisodeKind.choices,
            "error": error,
            "today": local_today(patient).isoformat(),
        },
        status=status,
    )


@require_http_methods(["POST"])
@login_required
def activation_code(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Give the patient a one-time code to make their own account (shown once, to print or read out)."""
    ticked = {name: request.POST.get(name) == "on" for name in ("send_by_text", "send_by_email")}
    sent = ActivationCodeIn.posted(ticked).parse()
    try:
        issued = services.issue_activation_code(
            by=request.user,
            patient_id=patient_id,
            send_by_text=sent.send_by_text,
            send_by_email=sent.send_by_email,
            activate_url=request.build_absolute_uri(reverse("patients:activate")),
        )
        if not issued.made:  # voided as it was stored: no code shown (lane fix38b)
            raise services.CodeNotMade()
    except services.NotAllowed:
        raise PermissionDenied from None
    except services.CodeNotMade:  # voided as it was stored: no code, try again (lane fix38b)
        return render(
            request,
            "patients/activation_code.html",
            {"error": _(CODE_NOT_MADE), "patient_id": patient_id},
            status=409,
        )
    except FieldsInvalid as exc:
        return render(
            request,
            "patients/activation_code.html",
            {"error": field_words.joined(exc.errors), "patient_id": patient_id},
            status=422,
        )
    return render(
        request,
        "patients/activation_code.html",
        {
            "code": issued.code,
            "expires_at": issued.row.expires_at,
            "zone": zone_of(issued.row.patient),  # the program's day (review 38g)
            "patient_id": patient_id,
            "activate_url": request.build_absolute_uri(reverse("patients:activate")),
        },
    )


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """The patient, on their own phone: the code from the desk, a username and a password."""
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("web:home"))
    form = ActivateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.activate(**form.cleaned_data, address=client_network(request))
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            mark_session_start(request)
            audit.record(actor=user, action=Action.LOGIN, target_type="user", target_id=user.pk)
            return HttpResponseRedirect(reverse("web:home"))
    elif request.method == "POST":
        status = 422
    return render(request, "patients/activate.html", {"form": form}, status=status)


@require_http_methods(["POST"])
@login_required
def reset_code(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A one-time code for a patient who forgot their password (and has no email): shown once at the desk."""
    reset_url = request.build_absolute_uri(reverse("patients:reset_with_code"))
    try:
        issued = services.issue_reset_code(
            by=request.user, patient_id=patient_id, data=ResetCodeIn.posted(request.POST.dict())
        )
        if not issued.made:  # voided as it was stored: no code shown (lane fix38b)
            raise services.CodeNotMade()
    except services.NotAllowed:
        raise PermissionDenied from None
    except services.CodeNotMade:  # voided as it was stored: no code, try again (lane fix38b)
        return render(
            request,
            "patients/reset_code.html",
            {"error": _(CODE_NOT_MADE), "patient_id": patient_id},
            status=409,
        )
    except FieldsInvalid as exc:
        return render(
            request,
            "patients/reset_code.html",
            {"error": field_words.joined(exc.errors), "patient_id": patient_id},
            status=422,
        )
    return render(
        request,
        "patients/reset_code.html",
        {
            "code": issued.code,
            "expires_at": issued.row.expires_at,
            "zone": zone_of(issued.row.patient),  # the program's day (review 38g)
            "patient_id": patient_id,
            "reset_url": reset_url,
        },
    )


@require_http_methods(["GET", "POST"])
def reset_with_code(request: HttpRequest) -> HttpResponse:
    """The patient sets a new password with the code from the desk, then signs in with it."""
    form = ResetWithCodeForm(request.POST or None)
    status, done = 200, False
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password_with_code(**form.cleaned_data)
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        else:
            done = True
    elif request.method == "POST":
        status = 422
    return render(request, "patients/reset_with_code.html", {"form": form, "done": done}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def reset_second_factor(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A care-team clinician resets the patient's two-step sign-in after checking who they are; the page lists
    the person's past resets (when, by whom, why), read after the reset so that a new one shows at once."""
    status, notice, errors = 200, "", {}
    values: dict[str, str] = {}
    try:
        if request.method == "POST":
            values = request.POST.dict()
            try:
                services.reset_second_factor(
                    by=request.user, patient_id=patient_id, data=SecondFactorResetIn.posted(values)
                )
            except FieldsInvalid as exc:
                errors = field_words.by_field(exc.errors)
                status = 422
                values.pop("password", None)  # never sent back into the page
            else:
                notice = _(
                    "Two-step sign-in is reset. They sign in with their password and can add an app again."
                )
                values = {}
        page = queries.second_factor_page(by=request.user, patient_id=patient_id)
    except services.NotAllowed:
        raise PermissionDenied from None
    return render(
        request,
        "patients/second_factor.html",
        {
            "patient": page.patient,
            "resets": page.resets,
            "has_account": page.has_account,
            "uses_second_factor": page.uses_second_factor,
            "values": values,
            "errors": errors,
            "notice": notice,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def bulk_care_team(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A program admin puts one clinician on several patients' care teams at once."""
    programs = [
        p
        for p in policy.registering_programs(request.user)
        if policy.can_manage_care_team(request.user, p.pk)
    ]
    if not programs:
        raise PermissionDenied
    program = next((p for p in programs if p.slug == request.GET.get("program", "")), programs[0])
    status, notice, errors = 200, "", {}
    chosen: list[str] = []
    if request.method == "POST":
        chosen = request.POST.getlist("patient_ids")
        data = CareTeamsIn.posted({"patient_ids": chosen, "user_id": request.POST.get("user_id")})
        try:
            rows = services.add_many_to_care_team(by=request.user, data=data)
        except services.NotAllowed:
            raise PermissionDenied from None
        except FieldsInvalid as exc:
            errors = field_words.by_field(exc.errors)
            status = 422
        else:
            notice = _("Added to %(n)d care teams.") % {"n": len(rows)}
            chosen = []
    patients = [p for p in policy.list_patients_audited(request.user) if p.program_id == program.pk]
    return render(
        request,
        "patients/bulk_care_team.html",
        {
            "program": program,
            "patients": patients,
            "staff": staff_choices(
                queries.team_candidates(program), zone=program.time_zone
            ),  # two alike told apart (words34)
            "chosen": chosen,
            "errors": errors,
            "notice": notice,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def contact(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Change a patient's contact details and preferred language (the front desk's roles)."""
    try:
        patient = queries.contact_patient(
            request.user, patient_id, Action.UPDATE if request.method == "POST" else Action.READ
        )
    except services.NotAllowed:
        raise PermissionDenied from None
    initial = {name: getattr(patient, name) for name in services.CONTACT_FIELDS} | {
        "version": patient.version
    }
    form = ContactForm(request.POST or None, initial=initial)
    status, stale = 200, ""
    if request.method == "POST" and form.is_valid():
        data = {k: ("" if v is None else v) for k, v in form.cleaned_data.items()}
        try:
            services.update_contact(by=request.user, patient_id=patient_id, data=ContactIn.posted(data))
        except FieldsInvalid as exc:
            _errors_onto(form, exc)
            status = 422
        except StaleEdit as exc:
            stale, status = str(exc), 409
        else:
            return HttpResponseRedirect(reverse("web:patient_detail", args=[patient_id]) + "?contact=1")
    elif request.method == "POST":
        status = 422
    return render(
        request, "patients/contact.html", {"form": form, "patient": patient, "stale": stale}, status=status
    )


def photo_response(row: PatientPhoto) -> HttpResponse:
    """A patient's photo as an answer: its own type, never sniffed, never kept by a browser or proxy."""
    response = HttpResponse(bytes(row.data), content_type=row.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="photo.jpg"'
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_safe
@login_required
def photo(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """The patient's photo (the dosing row and the patient page show it): through the policy, audited."""
    return photo_response(photos.read_photo(request.user, patient_id))


@require_http_methods(["GET", "POST"])
@login_required
def change_photo(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Take, replace or remove the patient's photo (the front desk's roles); errors name the photo field."""
    status, error = 200, ""
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                photos.delete_photo(by=request.user, patient_id=patient_id)
            else:
                photos.set_photo(
                    by=request.user, patient_id=patient_id, get_upload=lambda: request.FILES.get("photo")
                )
        except services.NotAllowed:
            raise PermissionDenied from None
        except FieldsInvalid as exc:
            error = field_words.joined(exc.errors)
            status = 422
        else:
            return HttpResponseRedirect(reverse("web:patient_detail", args=[patient_id]))
    else:
        try:
            photos.check_can_change(by=request.user, patient_id=patient_id)
        except services.NotAllowed:
            raise PermissionDenied from None
    patient = queries.get_patient(request.user, patient_id)
    return render(
        request,
        "patients/photo.html",
        {"patient": patient, "has_photo": photos.has_photo(patient.id), "error": error},
        status=status,
    )
