"""A patient's own pages: the care plan and the home start."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.core.rules.agonists import NEEDS_OVERRIDE
from keel.core.rules.buprenorphine.verdicts import DOSED_TODAY
from keel.core.rules.window import HOLD_OPEN
from keel.patients.models import zone_of
from keel.treatment import queries, readiness, words
from keel.treatment.views.common import ago, last_use_from_page


@require_safe
@login_required
def my_care_plan(request: AuthenticatedHttpRequest) -> HttpResponse:
    patient, goals, kits = queries.my_care_plan(request.user)
    return render(request, "treatment/my_care_plan.html", {"patient": patient, "goals": goals, "kits": kits})


@require_http_methods(["GET", "POST"])
@login_required
def home_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's home start; they tell when they last used (each opioid) on the same page."""
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        mine = policy.own_patient_or_404(request.user, target_type="home_start", audit_success=False)
        field_errors = last_use_from_page(request, None, zone_of(mine))
        if not field_errors:
            messages.success(request, _("Thank you. We saved when you last used."))
            return HttpResponseRedirect(reverse("treatment:home_start"))
    h = readiness.home_start(request.user)
    now = timezone.now()
    typed = request.POST if field_errors else {}
    listed = set(h.uses.uses) if h.uses else set()
    rows = [
        {
            "code": code,
            "name": name,
            "at": h.uses.uses[code].at if h.uses and code in h.uses.uses else None,
            # where the time comes from: the person's own answer, the care team's correction of it, or the
            # clinic's records (a dose given there, a take-home bottle, a pharmacy fill); the page says which
            "source": h.uses.uses[code].source if h.uses and code in h.uses.uses else "",
            "value": typed.get(f"last_{code}", ""),
            "error": field_errors.get(f"last_{code}", ""),
            "listed": code in listed,
        }
        for code, name in words.opioid_choices()
    ]
    # the one decision the API answers too (a stop by the clinic today comes before the inputs)
    verdict = words.HOME.get(h.decision.decision, "") if h.decision else ""
    code = h.decision.decision if h.decision else "needs"
    reasons = [words.reason_for_person(r) for r in h.decision.reasons] if h.decision else []
    return render(
        request,
        "treatment/home_start.html",
        {
            "h": h,
            "zone": zone_of(h.patient) if h.patient else timezone.get_current_timezone(),
            "verdict": verdict,
            "code": code,
            # no first dose at home today: the clinic held a dose or gave one (never the first-dose steps)
            # lane fix36i: an XR-naltrexone injection's blockade stops it too (NEEDS_OVERRIDE)
            "stopped_today": code in (HOLD_OPEN, DOSED_TODAY, NEEDS_OVERRIDE),
            "reasons": reasons,
            "needs": [words.NEEDS_MINE[m] for m in h.missing if m in words.NEEDS_MINE],
            "sows_ago": ago(now - h.sows.filled_at) if h.sows else "",
            "rows": rows,
            "field_errors": field_errors,
            "none_since": bool(typed.get("none_since")),
        },
        status=422 if field_errors else 200,
    )
