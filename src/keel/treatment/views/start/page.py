"""The buprenorphine start page (`start`), rendered again with what was typed when a form is refused."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.accounts.names import staff_choices
from keel.assessments.services import EMERGENCY_INSTRUMENTS
from keel.core import episodes
from keel.core.rules.buprenorphine import DOSE_LIMIT
from keel.patients.care_gap import acts_for_her
from keel.patients.models import Patient, zone_of
from keel.treatment import queries, words
from keel.treatment.models import CareArea, NaloxoneProduct
from keel.treatment.queries.start import StartView
from keel.treatment.views.start.cards import ReadinessCard, _last_use_rows, _readiness_view


@require_safe
@login_required
def start(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return _render_start(request, patient_id)


SCREEN_NAMES = (("phq9", "PHQ-9"), ("gad7", "GAD-7"), ("cssrs-screen", "C-SSRS"), ("ort", "ORT"))


def _render_start(
    request: AuthenticatedHttpRequest,
    patient_id: int,
    *,
    typed: QueryDict | None = None,  # the refused form as posted
    form: str = "",
    error: str = "",
    field_errors: dict[str, str] | None = None,
    status: int | None = None,
) -> HttpResponse:
    """The start page; after a refused form, the same page with what was typed and the error beside it
    (422, or `status`: 409 for an order refused because another was written since the page was read)."""
    # every medication's order version, read before the order shown, for the order form (review 23a hole 3)
    view = queries.start_view(
        request.user, patient_id=patient_id, versions=policy.can_prescribe(request.user)
    )
    ready, orphan = _ready_rows(view, form, typed)
    permissions = _start_permissions(request, view)
    return render(
        request,
        "treatment/start.html",
        {
            "v": view,
            "patient": view.patient,
            "zone": zone_of(view.patient),
            "ready": ready,
            "correction_error_elsewhere": orphan,
            "active_others": queries.active_others(view.patient, "buprenorphine"),  # lane switch39
            "overdose_reasons": [
                words.reason_shown(r) for r in (view.overdose.reasons if view.overdose else ())
            ],
            **_assessments_shown(view),
            "last_use_rows": _last_use_rows(form, typed, field_errors),
            **_days_shown(view),
            **permissions,
            # the versions of every medication's orders the order form (shown with no order in force) sends
            "order_versions": view.order_versions
            if permissions["can_prescribe"] and view.order is None
            else None,
            "products": NaloxoneProduct.choices,
            "areas": CareArea.choices,
            "schedule": queries.schedule_rows(view.order) if view.order else [],
            **_refused_form(patient_id, typed, form, error, field_errors),
            # an order refused as written since the page was read (409): the orders it names (another
            # medication's, too) are on the medication page, linked beside the refusal (lane words24)
            "order_stale": status == 409,
        },
        status=status or (422 if form else 200),
    )


def _refused_form(
    patient_id: int, typed: QueryDict | None, form: str, error: str, field_errors: dict[str, str] | None
) -> dict[str, Any]:
    """A refused form's state: what was typed, which form, its error and each field's."""
    return {
        "typed": typed or {},
        "form_with_error": form,
        "form_error": error,
        "field_errors": field_errors or {},
        # A refused form is shown at its action's URL (POST only): the language switch goes back to the
        # page itself, never to a URL that answers GET with 405.
        "page_url": reverse("treatment:start", args=[patient_id]),
    }


def _days_shown(view: StartView) -> dict[str, int | float | None]:
    """Today's day in treatment as every screen counts it (correction 9: `episodes.counted_day` with the
    program's `admission_day_number`), and the buprenorphine limit of the first or second dose day (the
    program's policy; the raw day of the episode, 1 or 2, picks it: `day_limit_day`), else None."""
    if view.context is None:
        return {"day_in_treatment": None, "day_limit": None, "day_limit_day": None}
    from keel.treatment.queries.policy import effective_policy
    from keel.treatment.queries.take_homes import admission_day_number

    raw = view.context.treatment_day
    p = effective_policy(view.patient, DOSE_LIMIT)
    return {
        "day_in_treatment": episodes.counted_day(raw, admission_day_number(view.patient)),
        "day_limit": {1: p["day1_max_mg"], 2: p["day2_max_mg"]}.get(raw),
        "day_limit_day": raw if raw in (1, 2) else None,
    }


def _ready_rows(view: StartView, form: str, typed: QueryDict | None) -> tuple[ReadinessCard | None, bool]:
    """The readiness card, with a refused correction's row open as typed, and whether that correction's row
    is no longer shown (its reason then goes above the table)."""
    now = view.now or timezone.now()
    ready = _readiness_view(view.read, now) if view.read else None
    opioid = typed.get("opioid") if typed else None
    if ready is not None:  # the refused correction's row: open, as typed
        mine = [replace(r, mine=form == "last_use_correction" and opioid == r.code) for r in ready.rows]
        ready = replace(ready, rows=mine)
    # a refused correction of a row the page no longer shows: its reason above the table
    orphan = form == "last_use_correction" and not any(r.mine for r in (ready.rows if ready else []))
    return ready, orphan


def _assessments_shown(view: StartView) -> dict[str, Any]:
    """The DSM-5 diagnosis (label, code, specifiers) and the latest screens, in words."""
    from keel.assessments.meaning import diagnosis_code, explain, specifiers

    dsm = view.latest.get("dsm5-oud")
    return {
        "dsm_label": explain("dsm5-oud", dsm.band or None)[0] if dsm else "",
        "dsm_code": diagnosis_code(dsm.band) if dsm else "",
        "dsm_specifiers": specifiers((dsm.result or {}).get("flags")) if dsm else [],
        "dsm": dsm,
        "screens": [
            (
                c,
                name,
                view.latest.get(c),
                explain(c, view.latest[c].band or None)[0] if c in view.latest else "",
            )
            for c, name in SCREEN_NAMES
        ],
    }


def _start_permissions(request: AuthenticatedHttpRequest, view: StartView) -> dict[str, Any]:
    """What the reader may do on the page, and the care team when they may write the care record.
    Under emergency access (the scoped patient says so) only what the services let it do is offered: a dose,
    naloxone, an intake, a time of last use and the point-of-care measures; no order, override, correction
    or care-plan goal (review 19d)."""
    emergency = policy.through_emergency_access(request.user, view.patient)
    can_plan = policy.can_write_care_record(request.user)
    return {
        "emergency": emergency,
        "emergency_instruments": EMERGENCY_INSTRUMENTS,
        "can_prescribe": policy.can_prescribe(request.user) and not emergency,
        "can_dose": policy.can_record_dose(request.user),
        "can_plan": can_plan,  # the time of last use: a point-of-care report
        "can_goal": can_plan and not emergency,
        "team": _team(view.patient) if can_plan and not emergency else [],
    }


def _team(patient: Patient) -> list[tuple[int, str]]:
    """The care team as the goal form's pick-list names them: two alike told apart (lane words34)."""
    team = patient.care_team.filter(acts_for_her()).select_related("user")
    return staff_choices((m.user for m in team), zone=patient.program.time_zone)
