"""The intake form: what was used, how and when, and the risks that shape the start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.http import AuthenticatedHttpRequest
from keel.core import intake as core_intake
from keel.core import wall_time
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import FieldError, InvalidInput
from keel.patients.models import Patient, zone_of
from keel.treatment import queries, services, words
from keel.treatment.models import Intake
from keel.treatment.schemas import IntakeIn
from keel.treatment.views.common import local_time, skipped_time_error

_INTAKE_FLAGS = (
    "uses_alone",
    "recent_lost_tolerance",
    "serious_mental_illness",
    "breathing_or_clearance_illness",
    "has_naloxone",
    "family_history",
    "trauma",
    "mental_health",
    "peer_environment",
)


def _intake_from_form(post: QueryDict, zone: tzinfo, skipped: dict[str, str]) -> dict[str, Any]:
    """The intake as the core reads it. An opioid with a time of last use counts as used even when its box
    was not ticked: a time typed for methadone is never dropped. A time of last use is read the later way on
    the night the clocks go back (the longer wait); a time they skip is named in `skipped`."""
    opioids = []
    for code in core_intake.OPIOIDS:
        when = post.get(f"last_{code}", "").strip()
        if post.get(f"used_{code}") != "on" and not when:
            continue
        try:
            at = local_time(when, zone, ambiguous=wall_time.LATER)
        except wall_time.WallTimeMissing:
            skipped[f"last_{code}"] = skipped_time_error()
            continue
        opioids.append({"opioid": code, "routes": post.getlist(f"routes_{code}"), "last_use_at": at})
    raw_overdoses = post.get("prior_overdoses", "0").strip() or "0"
    return {
        "opioids": opioids,
        "other_substances": post.getlist("other_substances"),
        "prior_overdoses": int(raw_overdoses) if ascii_digits(raw_overdoses) else raw_overdoses,
        "prior_treatment": post.getlist("prior_treatment"),
        "pregnant": post.get("pregnant") or None,
        "note": post.get("note", ""),
        **{k: post.get(k) == "on" for k in _INTAKE_FLAGS},
    }


@dataclass(frozen=True)
class IntakeFormState:
    """What the intake form shows: the opioids ticked, each one's routes and typed time of last use, the
    other substances, prior treatment, overdoses, pregnancy, the note and the yes/no boxes ticked."""

    used: set[str]
    routes: dict[str, list[str]]
    last: dict[str, str]
    other_substances: list[str]
    prior_treatment: list[str]
    prior_overdoses: str
    pregnant: str
    note: str
    flags: set[str]


def _intake_form_state(post: QueryDict | None, previous: Intake | None) -> IntakeFormState:
    """What the intake form shows: what was just typed (after an error), else the latest intake's answers
    with the times of last use left empty (they are asked again), else nothing."""
    if post is not None:
        used = {
            c
            for c in core_intake.OPIOIDS
            if post.get(f"used_{c}") == "on" or post.get(f"last_{c}", "").strip()
        }
        return IntakeFormState(
            used=used,
            routes={c: post.getlist(f"routes_{c}") for c in core_intake.OPIOIDS},
            last={c: post.get(f"last_{c}", "").strip() for c in core_intake.OPIOIDS},
            other_substances=post.getlist("other_substances"),
            prior_treatment=post.getlist("prior_treatment"),
            prior_overdoses=post.get("prior_overdoses", ""),
            pregnant=post.get("pregnant", ""),
            note=post.get("note", ""),
            flags={k for k in _INTAKE_FLAGS if post.get(k) == "on"},
        )
    values = previous.values if previous is not None else {}
    # each stored opioid by its code (an entry without one names no row of the form: nothing to show)
    opioids = {
        o["opioid"]: o
        for o in values.get("opioids", [])
        if isinstance(o, dict) and isinstance(o.get("opioid"), str)
    }
    return IntakeFormState(
        used=set(opioids),
        routes={code: list(o.get("routes", [])) for code, o in opioids.items()},
        last={},
        other_substances=list(values.get("other_substances", [])),
        prior_treatment=list(values.get("prior_treatment", [])),
        prior_overdoses=str(values.get("prior_overdoses", 0)),
        pregnant=values.get("pregnant", ""),
        note="",
        flags={k for k in _INTAKE_FLAGS if values.get(k)},
    )


def _intake_errors(errors: list[FieldError], sent: list[str]) -> dict[str, str]:
    """Errors keyed by the form's field names, in plain words."""
    out: dict[str, str] = {}
    for e in errors:
        if e.field.startswith("opioids[") and e.field.endswith("].last_use_at"):
            index = int(e.field[len("opioids[") : e.field.index("]")])
            code = sent[index] if index < len(sent) else ""
            out[f"last_{code}"] = (
                _("This time is in the future. Check the date and the time.")
                if "future" in e.reason
                else _("Give the date and the time of the last use.")
            )
        elif e.field.startswith("opioids"):
            out["opioids"] = _("Check the opioids and how they were used.")
        elif e.field == "pregnant":
            out["pregnant"] = _("Choose one.")
        elif e.field == "prior_overdoses":
            out["prior_overdoses"] = _("A whole number from 0 to 100.")
        elif e.field == "note":
            out["note"] = _("At most 2000 characters.")
        else:
            out[e.field] = _("Check this answer.")
    return out


@require_http_methods(["GET", "POST"])
@login_required
def intake(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    errors: dict[str, str] = {}
    post = None
    if request.method == "POST":
        refused = _save_intake(request, patient_id)
        if isinstance(refused, HttpResponse):
            return refused
        errors, post = refused, request.POST
    # a GET, or refused: the form comes back with the record, read as the GET reads it (one audit row,
    # review 21p)
    patient = policy.get_patient_or_404(
        request.user, patient_id, area=policy.Area.CLINICAL, target_type="intake_form"
    )
    return _intake_page(request, patient, errors, post)


def _save_intake(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse | dict[str, str]:
    """Record the posted intake and go to the start page; or each field's problem, nothing saved (a time
    the clocks skip is named before the service is asked)."""
    patient = policy.get_patient_or_404(
        request.user, patient_id, area=policy.Area.CLINICAL, audit_success=False
    )
    skipped: dict[str, str] = {}
    raw = _intake_from_form(request.POST, zone_of(patient), skipped)
    if skipped:  # a time the clocks skip: named, nothing saved
        return skipped
    try:
        services.record_intake(by=request.user, patient_id=patient_id, data=IntakeIn.posted(raw))
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    except InvalidInput as exc:
        return _intake_errors(exc.errors, [o["opioid"] for o in raw["opioids"]])
    messages.success(request, _("Intake saved."))
    return HttpResponseRedirect(reverse("treatment:start", args=[patient_id]))


def _intake_page(
    request: AuthenticatedHttpRequest, patient: Patient, errors: dict[str, str], post: QueryDict | None
) -> HttpResponse:
    """The intake form: what was posted (refused, 422) or the latest intake, each opioid on its row."""
    previous = queries.latest_intake(patient)
    state = _intake_form_state(post, previous)
    rows = [
        {
            "code": code,
            "name": words.opioid(code),
            "used": code in state.used,
            "routes": [(r, words.ROUTES[r], r in state.routes.get(code, [])) for r in core_intake.ROUTES],
            "last": state.last.get(code, ""),
            "error": errors.get(f"last_{code}", ""),
        }
        for code in core_intake.OPIOIDS
    ]
    return render(
        request,
        "treatment/intake.html",
        {
            "patient": patient,
            "errors": errors,
            "state": state,
            "rows": rows,
            "previous": previous if post is None else None,
            "other": [(c, words.OTHER[c], c in state.other_substances) for c in core_intake.OTHER],
            "prior": [(c, words.PRIOR[c], c in state.prior_treatment) for c in core_intake.PRIOR_TREATMENT],
            "zone": zone_of(patient),
        },
        status=422 if errors else 200,
    )
