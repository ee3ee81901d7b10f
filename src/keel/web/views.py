"""Pages: home per role, the patient list and page, the patient's own page, the audit trail, /healthz."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.assessments.services import EMERGENCY_INSTRUMENTS
from keel.audit import queries as audit_queries
from keel.core.digits import ascii_digits
from keel.core.instruments import registry
from keel.patients import photos, queries
from keel.patients.models import day_in
from keel.patients.services import flags
from keel.web import field_words, health
from keel.web.audit_words import event_row

if TYPE_CHECKING:
    from keel.assessments.models import Assessment


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        from keel.public.views import home as public_home

        return public_home(request)
    if policy.is_program_patient(user):
        return HttpResponseRedirect(reverse("web:my_record"))
    if policy.is_self_guided_account(user):
        return HttpResponseRedirect(reverse("selfguided:home"))
    if policy.reads_only_the_audit_trail(user):
        return HttpResponseRedirect(reverse("web:audit_trail"))
    return HttpResponseRedirect(reverse("web:patient_list"))


# People per caseload page (issue #21: 1,000 people made one 364 KB page); a display size, not a
# clinical limit.
CASELOAD_PAGE_SIZE = 50


@require_safe
@login_required
def patient_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The caseload: the caller's patients, most urgent first, with the reasons (journey 6)."""
    from keel.careteam.queries import CASELOAD_STATUSES, caseload, default_status
    from keel.core.rules.inputs import FieldsInvalid

    status = request.GET.get("status") or default_status(request.user)
    clinical = default_status(request.user) == "current"
    try:
        rows = caseload(request.user, status=status)
    except FieldsInvalid as exc:  # a status not in the list: the form says so, nothing is listed
        return render(
            request,
            "web/patient_list.html",
            {
                "patients": [],
                "page": None,
                "total": 0,
                "status": "",
                "statuses": CASELOAD_STATUSES,
                "can_filter": clinical,
                "status_error": field_words.joined(exc.errors),
            },
            status=422,
        )
    page, page_error, page_note = _caseload_page(rows, request.GET.get("page", ""))
    return render(
        request,
        "web/patient_list.html",
        {
            "page_error": page_error,
            "page_note": page_note,
            "patients": page.object_list,
            "page": page,
            "total": page.paginator.count,
            "status": status,
            "statuses": CASELOAD_STATUSES,
            "can_filter": clinical,
            # the page links keep a status other than the default (the default's links stay ?page=N)
            "status_query": "" if status == default_status(request.user) else f"status={status}&",
        },
        status=422 if page_error else 200,
    )


def _caseload_page(rows: Sequence[object], raw: str) -> tuple[Page[object], str, str]:
    """The caseload page asked (`raw`, the `page` parameter; none: the first), never silently replaced (lane
    fix35e, review 35e H4): not a whole number from 1 is said beside the list (a 422, as the timeline's
    window) over the first page; a page past the end (the list grew shorter since its links were made) is
    the last page with a line that says so."""
    paginator = Paginator(rows, CASELOAD_PAGE_SIZE)
    if raw == "":
        return paginator.page(1), "", ""
    if not ascii_digits(raw) or int(raw[:12]) < 1:  # 12 digits: past any list, never a huge int()
        error = _("Page: choose a whole number from 1; showing page 1.")
        return paginator.page(1), error, ""
    if len(raw) <= 9 and int(raw) <= paginator.num_pages:
        return paginator.page(int(raw)), "", ""
    last = paginator.num_pages
    note = ngettext(
        "The list is shorter now: it has %(pages)s page; showing page %(pages)s.",
        "The list is shorter now: it has %(pages)s pages; showing page %(pages)s.",
        last,
    ) % {"pages": last}
    return paginator.page(last), "", note


@require_safe
@login_required
def patient_detail(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    from keel.selfguided.queries import history_brought_on

    patient = queries.get_patient(request.user, patient_id)
    lang = get_language() or "en"  # each instrument's title as its definition translates it
    # Through emergency access (SECURITY.md T12) the page offers only what the services let emergency
    # access do: read, and the point-of-care measures (`EMERGENCY_INSTRUMENTS`); never a button that can
    # only be refused.
    emergency = patient.through_emergency
    instruments = [
        (code, registry.get(code, lang).title, not emergency or code in EMERGENCY_INSTRUMENTS)
        for code in registry.codes()
    ]
    can_resolve = policy.can_resolve_flags(request.user) and not emergency
    # The activation code (issue #18): the front desk's roles; the service refuses a record with an account.
    can_give_code = policy.can_give_link_code(request.user) and not emergency
    is_prescriber = all(policy.can_resolve_flag(request.user, k) for k in policy.PRESCRIBER_ONLY_FLAGS)
    kit = None
    dsm = None
    qtc_review = None
    if "clinical" in patient.areas:  # part of the same audited read of this (already scoped) record
        from keel.treatment.queries.care_plan import latest_kit
        from keel.treatment.queries.qtc import dose_review_qtc

        kit = latest_kit(patient.id)
        dsm = _diagnosis(patient)
        qtc_review = dose_review_qtc(patient.id, timezone.now())
    return render(
        request,
        "web/patient_detail.html",
        {
            "patient": patient,
            "instruments": instruments,
            "can_resolve": can_resolve,
            "is_prescriber": is_prescriber,
            "prescriber_only": sorted(flags.PRESCRIBER_ONLY),
            "naloxone": kit,
            "qtc_review": qtc_review,  # a recent QTc of 500 ms or more: review the methadone dose
            "diagnosis": dsm,
            "can_give_code": can_give_code,
            # the desk's codes and the two-step reset, only where they can work (each is refused otherwise)
            "has_account": queries.has_own_account(patient.id),
            "emergency": emergency,
            # The identity photo (issue #18): whether there is one; the front desk's roles take one (the
            # record is in scope, so in their program: the same roles as the activation code).
            "has_photo": photos.has_photo(patient.id),
            "can_change_photo": can_give_code,
            # a history brought from the person's own account, with their signed consent (review 35b hole 5)
            "history_brought_on": history_brought_on(patient.id) if "recovery" in patient.areas else None,
        },
    )


@dataclass(frozen=True)
class DiagnosisShown:
    """The latest DSM-5 result on the patient page: the assessment, its band in words, its specifiers and its
    ICD-10-CM code ("" when the band has none)."""

    assessment: Assessment
    label: str
    specifiers: list[str]
    code: str


def _diagnosis(patient: queries.PatientView) -> DiagnosisShown | None:
    """The latest DSM-5 result in words, with its specifiers and ICD-10-CM code (the one "latest")."""
    from keel.assessments.meaning import diagnosis_code, explain, specifiers
    from keel.assessments.queries import diagnosis

    found = diagnosis(patient.id)
    if found is None:
        return None
    return DiagnosisShown(
        assessment=found,
        label=explain("dsm5-oud", found.band or None, self_check=False)[0],
        specifiers=specifiers((found.result or {}).get("flags") if isinstance(found.result, dict) else ()),
        code=diagnosis_code(found.band),
    )


@require_safe
@login_required
def my_record(request: AuthenticatedHttpRequest) -> HttpResponse:
    from keel.recovery import services as recovery
    from keel.selfguided import words as own_words
    from keel.selfguided.own_data import consents_of

    patient = queries.get_own_record(request.user)
    today, due = recovery.home_summary(request.user)
    # what she signed joining from her own account, and what moved (review 35b hole 5)
    consents = [(c, own_words.moved_in_words(c.moved)) for c in consents_of(request.user)]
    bottles = _my_bottle_times(patient)  # lane bottle39
    shown = {"patient": patient, "today": today, "due": due, "consents": consents, "bottles": bottles}
    return render(request, "web/my_record.html", shown)


def _my_bottle_times(patient: queries.PatientView) -> list[str]:
    """Lane bottle39: her take-home bottles of today or later she may take only from a time on their day
    (handed out after a late observed dose), in her words; from her record as her page read it."""
    from keel.treatment import words as treatment_words
    from keel.treatment.queries import bottles_not_before

    day = day_in(patient.time_zone)
    times = bottles_not_before(patient.id, day, ZoneInfo(patient.time_zone))
    return [treatment_words.not_before_words(d, at, day) for d, at in times]


@require_safe
@login_required
def audit_trail(request: AuthenticatedHttpRequest) -> HttpResponse:
    emergency = request.GET.get("emergency") == "1"
    events = audit_queries.list_events(request.user, limit=200, emergency=emergency)
    return render(
        request, "web/audit_trail.html", {"events": [event_row(e) for e in events], "emergency": emergency}
    )


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """503 when the database is unreachable (this process cannot serve); the worker's liveness and the
    scheduled runs that failed in the last 7 days are reported beside it (a proxy keeps sending requests
    to a web process whose worker is down, and monitoring alerts on `worker`). `failed_reminders` counts the
    reminder sends that failed for good in the last 7 days (after their retries, or refused by the provider);
    it does not change `status` (one patient's wrong number is not the service's health), alert on it.
    `failed_steps` counts the live workers' loop steps that failed in the last 24 hours (each logged by the
    worker); one now and then (the database gone for a moment) leaves `status` as it was, but a step that has
    failed on every pass for KEEL_WORKER_STALE_SECONDS makes it `degraded`: that worker is alive and does not
    do that step's work (reminders unsent), as good as down for it."""
    try:
        found = health.probe()  # one statement: it answering is the database check
    except Exception:
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse(
        {
            "status": "ok"
            if found.worker_alive and not found.failed_runs and not found.step_failing
            else "degraded",
            "database": "ok",
            "worker": "ok" if found.worker_alive else "down",
            "failed_jobs": found.failed_runs,
            "failed_reminders": found.failed_reminders,
            "failed_steps": found.failed_steps,
        }
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"message": "Not found.", "errors": []}, status=404)
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No exception text, no request data: error pages must never carry patient data.
    if request.path.startswith("/api/"):
        return JsonResponse({"message": "Something went wrong on our side.", "errors": []}, status=500)
    return render(request, "web/500.html", status=500)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"message": "Forbidden.", "errors": []}, status=403)
    return render(request, "web/403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "web/403.html", {"csrf": True}, status=403)


def _flag_refusal(reason: str) -> str:
    """Why a clinician's flag resolution was refused, in words, one per rule (review 16a)."""
    from django.utils.translation import gettext as _

    if reason == flags.FlagNotAllowed.OWN_EMERGENCY:
        return _(
            "The flag was not resolved: you used emergency access for this person, so another clinician "
            "resolves this flag."
        )
    if reason == flags.FlagNotAllowed.PRESCRIBER_ONLY:
        return _("The flag was not resolved: only a prescriber resolves this flag.")
    return _(
        "The flag was not resolved: only counselors, nurses and prescribers on this person's care team "
        "resolve flags."
    )


def _flag_version(text: str) -> int | None:
    """The flag's version the page showed (its hidden `version`); none, or not a whole number: None (the
    service refuses it, naming `version`)."""
    text = text.strip()
    return int(text) if text and ascii_digits(text) else None


@require_POST
@login_required
def resolve_flag(request: AuthenticatedHttpRequest, patient_id: int, flag_id: int) -> HttpResponse:
    from django.contrib import messages
    from django.utils.translation import gettext as _

    try:
        flags.resolve_flag(
            by=request.user,
            patient_id=patient_id,
            flag_id=flag_id,
            note=request.POST.get("note", ""),
            read_version=_flag_version(request.POST.get("version", "")),
        )
        messages.success(request, _("The flag is resolved."))
    except flags.FlagChanged as exc:  # read before a note or a reopening: nothing resolved (lane fix38n)
        messages.error(request, str(exc))
    except flags.FlagNotAllowed as exc:
        if not policy.can_resolve_flags(request.user):
            raise PermissionDenied from None
        messages.error(request, _flag_refusal(exc.reason))
    except flags.FlagError as exc:
        messages.error(
            request, _("The flag was not resolved: %(reason)s.") % {"reason": field_words.on_page(exc.error)}
        )
    return HttpResponseRedirect(reverse("web:patient_detail", args=[patient_id]))
