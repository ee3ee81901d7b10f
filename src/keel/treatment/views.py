"""Pages for prescribers, nurses and admins: the dosing window, a patient's medication record, program policy.
Views parse the form, call one service, render; guard rails and permissions live in the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keel.access import policy
from keel.assessments.services import NotAllowed
from keel.core.rules.inputs import InvalidInput
from keel.core.rules.methadone import CRITERIA
from keel.treatment import policy_store, readiness, services
from keel.treatment.models import CareArea, FillSource, NaloxoneProduct


def _errors(exc: InvalidInput) -> str:
    return "; ".join(f"{e.field}: {e.reason}" for e in exc.errors)


@require_safe
@login_required
def dosing(request: HttpRequest) -> HttpResponse:
    try:
        rows = services.dosing_list(request.user)
    except NotAllowed:
        raise PermissionDenied from None
    due = sum(1 for r in rows if r.due)
    return render(request, "treatment/dosing.html", {"rows": rows, "due": due})


@require_POST
@login_required
def record_dose(request: HttpRequest, patient_id: int) -> HttpResponse:
    back = reverse("treatment:dosing") + f"#p{patient_id}"
    raw_sequence = request.POST.get("sequence", "")
    try:
        outcome = services.record_dose(
            by=request.user,
            patient_id=patient_id,
            sequence=int(raw_sequence) if raw_sequence.isdigit() else None,
            amount_mg=request.POST.get("amount_mg") or None,
            sedated=request.POST.get("sedated") == "on",
        )
    except NotAllowed:
        raise PermissionDenied from None
    except services.DoseBlocked as exc:
        messages.error(request, _("Not given: %(why)s") % {"why": exc})
        return HttpResponseRedirect(back)
    except services.DoseConflict as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(back)
    except InvalidInput as exc:
        messages.error(request, _("Not recorded: %(why)s") % {"why": _errors(exc)})
        return HttpResponseRedirect(back)
    dose = outcome.dose
    if dose.status == "held":
        messages.warning(
            request,
            _("Dose held for %(name)s. A prescriber has been asked to assess.")
            % {"name": dose.patient.display_name},
        )
    else:
        messages.success(
            request,
            _("%(mg)s mg given to %(name)s.")
            % {"mg": f"{dose.amount_mg.normalize():f}", "name": dose.patient.display_name},
        )
    return HttpResponseRedirect(back)


@require_http_methods(["GET", "POST"])
@login_required
def medication(request: HttpRequest, patient_id: int) -> HttpResponse:
    if request.method == "POST":
        return _medication_post(request, patient_id)
    record = services.medication_record(request.user, patient_id=patient_id)
    return render(
        request,
        "treatment/medication.html",
        {
            "r": record,
            "patient": record.patient,
            "criteria": CRITERIA,
            "can_prescribe": policy.can_prescribe(request.user),
            "can_dose": policy.can_record_dose(request.user),
            "fill_sources": FillSource.choices,
        },
    )


def _medication_post(request: HttpRequest, patient_id: int) -> HttpResponse:
    form = request.POST.get("form", "")
    post = request.POST
    try:
        if form == "order":
            services.prescribe(
                by=request.user,
                patient_id=patient_id,
                medication=post.get("medication", ""),
                dose_mg=post.get("dose_mg"),
                note=post.get("note", ""),
            )
            messages.success(request, _("Order saved."))
        elif form == "override":
            services.add_override(
                by=request.user,
                patient_id=patient_id,
                max_total_mg=post.get("max_total_mg"),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Override saved for today."))
        elif form == "amend":
            raw_id = post.get("dose_id", "")
            services.amend_dose(
                by=request.user,
                patient_id=patient_id,
                dose_id=int(raw_id) if raw_id.isdigit() else 0,
                corrected_mg=post.get("corrected_mg") or None,
                void=post.get("void") == "on",
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Correction saved. The original record is kept."))
        elif form == "take_home":
            plan = services.decide_take_home(
                by=request.user,
                patient_id=patient_id,
                criteria={key: post.get(key) == "on" for key, _text in CRITERIA},
                state_max_days=post.get("state_max_days") or None,
            )
            messages.success(
                request, _("Take-home decision: up to %(n)s days.") % {"n": plan.max_supply_days}
            )
        elif form == "fill":
            services.record_fill(
                by=request.user,
                patient_id=patient_id,
                order_id=post.get("order", ""),
                filled_on=post.get("filled_on", ""),
                days_supply=post.get("days_supply", ""),
                source=post.get("source", ""),
            )
            messages.success(request, _("Fill saved."))
        elif form == "void_fill":
            services.void_fill(
                by=request.user,
                patient_id=patient_id,
                fill_id=post.get("fill_id", ""),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("The fill is voided. The original record is kept."))
        elif form == "qtc":
            raw = post.get("qtc_ms", "")
            services.record_qtc(
                by=request.user, patient_id=patient_id, qtc_ms=int(raw) if raw.isdigit() else raw
            )
            messages.success(request, _("QTc saved."))
        else:
            messages.error(request, _("Unknown form."))
    except NotAllowed:
        raise PermissionDenied from None
    except InvalidInput as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": _errors(exc)})
    return HttpResponseRedirect(reverse("treatment:medication", args=[patient_id]))


@require_http_methods(["GET", "POST"])
@login_required
def program_policy(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("program") or request.POST.get("program") or None
    if request.method == "POST":
        raw = request.POST.get("value", "").strip()
        value: Any = None if raw == "" else (float(raw) if raw.replace(".", "", 1).isdigit() else raw)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        try:
            policy_store.set_value(
                by=request.user,
                program_slug=slug,
                rule=request.POST.get("rule", ""),
                field=request.POST.get("field", ""),
                value=value,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Policy changed. The change is in the history and the audit trail."))
        except policy_store.PolicyNotAllowed:
            raise PermissionDenied from None
        except InvalidInput as exc:
            messages.error(request, _("Not changed: %(why)s") % {"why": _errors(exc)})
        return HttpResponseRedirect(reverse("treatment:policy"))
    try:
        program, values = policy_store.show(request.user, slug)
    except InvalidInput as exc:
        raise PermissionDenied(_errors(exc)) from None
    return render(
        request,
        "treatment/policy.html",
        {
            "program": program,
            "values": values,
            "can_change": policy.can_change_policy(request.user, program.pk),
        },
    )


# --- Intake and the buprenorphine start (journey 3) --------------------------------------------------------


def _intake_from_form(post: Any, zone: Any) -> dict[str, Any]:
    from datetime import datetime as dt

    from keel.core import intake as core_intake

    opioids = []
    for code in core_intake.OPIOIDS:
        if post.get(f"used_{code}") != "on":
            continue
        when = post.get(f"last_{code}", "").strip()
        last = ""
        if when:
            try:
                last = dt.fromisoformat(when).replace(tzinfo=zone).isoformat()
            except ValueError:
                last = when  # the core names it
        opioids.append({"opioid": code, "routes": post.getlist(f"routes_{code}"), "last_use_at": last})
    raw_overdoses = post.get("prior_overdoses", "0").strip() or "0"
    return {
        "opioids": opioids,
        "other_substances": post.getlist("other_substances"),
        "prior_overdoses": int(raw_overdoses) if raw_overdoses.isdigit() else raw_overdoses,
        "prior_treatment": post.getlist("prior_treatment"),
        "pregnant": post.get("pregnant") or None,
        "note": post.get("note", ""),
        **{
            k: post.get(k) == "on"
            for k in (
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
        },
    }


@require_http_methods(["GET", "POST"])
@login_required
def intake(request: HttpRequest, patient_id: int) -> HttpResponse:
    from zoneinfo import ZoneInfo

    from keel.core import intake as core_intake

    errors: dict[str, str] = {}
    if request.method == "POST":
        patient = policy.get_patient_or_404(
            request.user, patient_id, area=policy.Area.CLINICAL, audit_success=False
        )
        raw = _intake_from_form(request.POST, ZoneInfo(patient.program.time_zone))
        try:
            services.record_intake(by=request.user, patient_id=patient_id, raw=raw)
        except NotAllowed:
            raise PermissionDenied from None
        except InvalidInput as exc:
            errors = {e.field: e.reason for e in exc.errors}
        else:
            messages.success(request, _("Intake saved."))
            return HttpResponseRedirect(reverse("treatment:start", args=[patient_id]))
    else:
        patient = policy.get_patient_or_404(
            request.user, patient_id, area=policy.Area.CLINICAL, target_type="intake_form"
        )
    return render(
        request,
        "treatment/intake.html",
        {
            "patient": patient,
            "errors": errors,
            "opioids": core_intake.OPIOIDS,
            "routes": core_intake.ROUTES,
            "other": core_intake.OTHER,
            "prior": core_intake.PRIOR_TREATMENT,
        },
        status=422 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def start(request: HttpRequest, patient_id: int) -> HttpResponse:
    if request.method == "POST":
        return _start_post(request, patient_id)
    view = services.start_view(request.user, patient_id=patient_id)
    from keel.assessments.meaning import explain

    dsm = view.latest.get("dsm5-oud")
    limit = None
    if view.context is not None:
        from keel.treatment.policy_store import effective_policy

        p = effective_policy(view.patient, "buprenorphine-dose-limit")
        limit = {1: p["day1_max_mg"], 2: p["day2_max_mg"]}.get(view.context.treatment_day)
    return render(
        request,
        "treatment/start.html",
        {
            "v": view,
            "patient": view.patient,
            "dsm_label": explain("dsm5-oud", dsm.band)[0] if dsm else "",
            "dsm": dsm,
            "screens": [(c, view.latest.get(c)) for c in ("phq9", "gad7", "cssrs-screen", "ort")],
            "day_limit": limit,
            "can_prescribe": policy.can_prescribe(request.user),
            "can_dose": policy.can_record_dose(request.user),
            "can_plan": policy.can_write_care_record(request.user),
            "team": view.patient.care_team.select_related("user")
            if policy.can_write_care_record(request.user)
            else [],
            "products": NaloxoneProduct.choices,
            "areas": CareArea.choices,
            "schedule": services.schedule_rows(view.order) if view.order else [],
        },
    )


def _start_post(request: HttpRequest, patient_id: int) -> HttpResponse:
    post, form = request.POST, request.POST.get("form", "")
    back = HttpResponseRedirect(reverse("treatment:start", args=[patient_id]))
    try:
        if form == "order":
            services.prescribe(
                by=request.user,
                patient_id=patient_id,
                medication="buprenorphine",
                dose_mg=post.get("dose_mg"),
                home_start=post.get("home_start") == "on",
                schedule=_schedule_from_text(post.get("schedule", "")),
            )
            messages.success(request, _("Order saved."))
        elif form == "dose":
            outcome = services.record_dose(
                by=request.user,
                patient_id=patient_id,
                medication="buprenorphine",
                amount_mg=post.get("amount_mg") or None,
                sedated=post.get("sedated") == "on",
            )
            messages.success(request, " ".join(r.text for r in outcome.decision.reasons))
        elif form == "override":
            services.add_override(
                by=request.user,
                patient_id=patient_id,
                medication="buprenorphine",
                max_total_mg=post.get("max_total_mg"),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Override saved for today."))
        elif form == "naloxone":
            services.dispense_naloxone(
                by=request.user,
                patient_id=patient_id,
                product=post.get("product", ""),
                quantity=post.get("quantity", "1"),
            )
            messages.success(request, _("Naloxone kit recorded."))
        elif form == "goal":
            services.add_goal(
                by=request.user,
                patient_id=patient_id,
                area=post.get("area", ""),
                goal=post.get("goal", ""),
                responsible_id=post.get("responsible", ""),
                review_on=post.get("review_on", ""),
            )
            messages.success(request, _("Goal added to the care plan."))
        else:
            messages.error(request, _("Unknown form."))
    except NotAllowed:
        raise PermissionDenied from None
    except services.DoseBlocked as exc:
        messages.error(request, _("Not given: %(why)s") % {"why": exc})
    except services.DoseConflict as exc:
        messages.error(request, str(exc))
    except InvalidInput as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": _errors(exc)})
    return back


@require_safe
@login_required
def my_care_plan(request: HttpRequest) -> HttpResponse:
    patient, goals, kits = services.my_care_plan(request.user)
    return render(request, "treatment/my_care_plan.html", {"patient": patient, "goals": goals, "kits": kits})


def _schedule_from_text(text: str) -> Any:
    """Lines of "day mg" (e.g. "1 0.5") as the core's schedule; a line that does not parse is passed on as
    written so that the core names it."""
    steps: list[Any] = []
    for line in text.strip().splitlines():
        parts = line.replace(",", " ").split()
        if len(parts) == 2 and parts[0].isdigit():
            try:
                steps.append({"day": int(parts[0]), "mg": float(parts[1])})
                continue
            except ValueError:
                pass
        steps.append({"day": line, "mg": None})
    return steps


@require_safe
@login_required
def home_start(request: HttpRequest) -> HttpResponse:
    return render(request, "treatment/home_start.html", {"h": readiness.home_start(request.user)})


@require_POST
@login_required
def injection(request: HttpRequest, patient_id: int) -> HttpResponse:
    try:
        outcome = services.record_injection(
            by=request.user, patient_id=patient_id, site=request.POST.get("site", "")
        )
        messages.success(request, " ".join(r.text for r in outcome.decision.reasons))
    except NotAllowed:
        raise PermissionDenied from None
    except services.DoseBlocked as exc:
        messages.error(request, _("Not given: %(why)s") % {"why": exc})
    except InvalidInput as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": _errors(exc)})
    return HttpResponseRedirect(reverse("treatment:medication", args=[patient_id]))
