"""The patient timeline page; the caseload is the staff home list (`keel.web.views.patient_list`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from keel.access.http import AuthenticatedHttpRequest
from keel.careteam import queries


@require_safe
@login_required
def timeline(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in queries.TIMELINE_DAYS else 90
    result = queries.timeline(request.user, patient_id, days=days)
    return render(
        request,
        "careteam/timeline.html",
        {"t": result, "choices": queries.TIMELINE_DAYS, "patient": result.patient},
    )
