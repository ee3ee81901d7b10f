"""The patient timeline page; the caseload is the staff home list (`keel.web.views.patient_list`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from keel.access.http import AuthenticatedHttpRequest
from keel.careteam import queries


@require_safe
@login_required
def timeline(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    raw = request.GET.get("days", "")
    chosen = next((d for d in queries.TIMELINE_DAYS if raw == str(d)), None)  # "30", not "٣٠" or "030"
    result = queries.timeline(request.user, patient_id, days=chosen or 90)
    # A window that is not one of the choices (a hand-edited address) is said, never silently replaced: the
    # page shows 90 days under a 422 that names the choices, as the API refuses it.
    refused = bool(raw) and chosen is None
    choices = ", ".join(str(d) for d in queries.TIMELINE_DAYS)
    error = _("Choose %(choices)s days; showing 90.") % {"choices": choices} if refused else ""
    return render(
        request,
        "careteam/timeline.html",
        {"t": result, "choices": queries.TIMELINE_DAYS, "patient": result.patient, "error": error},
        status=422 if refused else 200,
    )
