"""Pages: a patient's appointments for the care team (with the scheduling form), one's own coming
appointments with the reminder choice, and the one-tap stop page of appointment reminders.

The stop link needs no sign-in: its token is the key, and it stops that person's appointment reminders,
nothing else. GET shows one button (mail scanners follow links); POST stops them (also RFC 8058 one-click)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.accounts.names import staff_choices
from keel.appointments import queries, services
from keel.appointments.models import Kind, Status
from keel.core.appointments import HOURS_BEFORE_CHOICES, NOT_BEGUN, PASSED
from keel.core.rules.inputs import FieldsInvalid
from keel.patients.models import local_today
from keel.reminders import channels

# What a page says about a field that is not right (the API names the field and a reason in English).
FIELD_PROBLEMS = {
    "date": gettext_lazy("Date: enter a date."),
    "start": gettext_lazy("Start: pick a time in the future that exists on the clock that day."),
    "end": gettext_lazy("End: pick a time after the start, at most 8 hours later."),
    "kind": gettext_lazy("Kind of visit: choose one."),
    "with_id": gettext_lazy("With: choose a staff member of this program."),
    "status": gettext_lazy("Status: choose one."),
    "channel": gettext_lazy("How: choose email, text message or none."),
    "day_before_at": gettext_lazy("The day before: enter a time, or choose hours before."),
    "hours_before": gettext_lazy("Hours before: choose one."),
}

# ... and about a reason that needs its own words.
REASON_PROBLEMS = {
    NOT_BEGUN: gettext_lazy("Status: a visit can be marked attended or missed only once it has begun."),
    PASSED: gettext_lazy("Status: the time of this visit has passed. Book a new visit instead."),
    services.NO_SMS: gettext_lazy("How: this clinic does not send text messages. Choose email or none."),
    services.NO_EMAIL: gettext_lazy(
        "How: your account has no email address. Ask your care team to add one, or choose another way."
    ),
    services.NO_PHONE: gettext_lazy(
        "How: we have no phone number for you. Ask your care team to add one, or choose another way."
    ),
}


def _problems(exc: FieldsInvalid) -> list[str]:
    return [str(REASON_PROBLEMS.get(e.reason) or FIELD_PROBLEMS.get(e.field) or e.field) for e in exc.errors]


@require_http_methods(["GET", "POST"])
@login_required
def patient_appointments(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A patient's appointments; counselors, nurses, prescribers and admins schedule one here."""
    problems: list[str] = []
    if request.method == "POST":
        try:
            services.schedule(
                by=request.user,
                patient_id=patient_id,
                day=request.POST.get("date", ""),
                start=request.POST.get("start", ""),
                end=request.POST.get("end", ""),
                kind=request.POST.get("kind", ""),
                with_id=request.POST.get("with_id", ""),
            )
        except FieldsInvalid as exc:
            problems = _problems(exc)
        else:
            messages.success(request, _("Appointment scheduled."))
            return HttpResponseRedirect(reverse("appointments:patient", args=[patient_id]))
    found = queries.patient_appointments(request.user, patient_id)
    patient = found.patient
    emergency = policy.through_emergency_access(request.user, patient)  # the scoped patient carries it
    staff = staff_choices(
        queries.bookable_staff(patient.program_id), zone=patient.program.time_zone
    )  # two alike told apart (words34)
    return render(
        request,
        "appointments/patient.html",
        {
            "patient": patient,
            "appointments": found.appointments,
            # under emergency access the forms are not offered: the services refuse them (review 19b)
            "emergency": emergency,
            "can_schedule": policy.can_schedule_appointment(request.user) and not emergency,
            "kinds": Kind.choices,
            "statuses": Status.choices,
            "staff": staff,
            "problems": problems,
            "today": local_today(patient).isoformat(),
            "form": request.POST if problems else {},
        },
        status=422 if problems else 200,
    )


@require_POST
@login_required
def set_status(request: AuthenticatedHttpRequest, patient_id: int, appointment_id: int) -> HttpResponse:
    try:
        services.set_status(
            by=request.user,
            patient_id=patient_id,
            appointment_id=appointment_id,
            status=request.POST.get("status", ""),
        )
        messages.success(request, _("Saved."))
    except FieldsInvalid as exc:
        messages.error(request, " ".join(_problems(exc)))
    return HttpResponseRedirect(reverse("appointments:patient", args=[patient_id]))


@require_http_methods(["GET", "POST"])
@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My coming appointments, and how and when I get reminders of them."""
    problems: list[str] = []
    if request.method == "POST":
        try:
            services.choose_reminders(
                request.user,
                channel=request.POST.get("channel", ""),
                day_before_at=request.POST.get("day_before_at", "") if request.POST.get("day_before") else "",
                hours_before=request.POST.get("hours_before", ""),
            )
        except FieldsInvalid as exc:
            problems = _problems(exc)
        else:
            messages.success(request, _("Saved."))
            return HttpResponseRedirect(reverse("appointments:mine"))
    found = queries.my_appointments(request.user)
    return render(
        request,
        "appointments/mine.html",
        {
            "patient": found.patient,
            "appointments": found.upcoming,
            "choice": found.reminders,
            "hours_choices": HOURS_BEFORE_CHOICES,
            "texts_on": channels.sms_sender() is not None,
            "problems": problems,
        },
        status=422 if problems else 200,
    )


def _gone(request: HttpRequest) -> HttpResponse:
    """A link that is no one's (or already used): the neutral layout, not the site's 404 with its crisis
    line, as the stop pages themselves."""
    return render(request, "web/neutral_404.html", status=404)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        if not services.stop(token):
            return _gone(request)
        return render(request, "appointments/stopped.html")
    if not queries.stop_link_known(token):
        return _gone(request)
    return render(request, "appointments/stop.html", {"token": token})
