"""The program's policy values: shown to staff, changed by those who may."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.core.rules.inputs import InvalidInput, number_from_text
from keel.treatment import policy_words
from keel.treatment.queries import policy as policy_reads
from keel.treatment.services import policy as policy_writes
from keel.treatment.views.common import errors_text


@require_http_methods(["GET", "POST"])
@login_required
def program_policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    slug = request.GET.get("program") or request.POST.get("program") or None
    error = ""
    if request.method == "POST":
        try:
            policy_writes.set_value(
                by=request.user,
                program_slug=slug,
                rule=request.POST.get("rule", ""),
                field=request.POST.get("field", ""),
                value=number_from_text(request.POST.get("value", "")),  # "nan", "inf": text, refused by name
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Policy changed. The change is in the history and the audit trail."))
            return HttpResponseRedirect(reverse("treatment:policy"))
        except policy_writes.PolicyNotAllowed:
            raise PermissionDenied from None
        except InvalidInput as exc:
            error = _("Not changed: %(why)s") % {"why": errors_text(exc)}
    try:
        program, values = policy_reads.show(request.user, slug)
    except InvalidInput as exc:
        raise PermissionDenied(errors_text(exc)) from None
    return render(
        request,
        "treatment/policy.html",
        {
            "program": program,
            "values": [policy_words.said(v) for v in values],
            "can_change": policy.can_change_policy(request.user, program.pk),
            "error": error,
            "error_rule": request.POST.get("rule", "") if error else "",
            "error_field": request.POST.get("field", "") if error else "",
            "typed_value": request.POST.get("value", ""),
            "typed_reason": request.POST.get("reason", ""),
        },
        status=422 if error else 200,
    )
