"""Pages for prescribers, nurses and admins: the dosing window, a patient's medication record, program policy.
Views parse the form, call one service, render; guard rails and permissions live in the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.assessments.services import NotAllowed
from keel.core import intake as core_intake
from keel.core.rules.inputs import InvalidInput, number_from_text
from keel.core.rules.methadone import CRITERIA
from keel.patients.models import FlagKind, local_today, zone_of
from keel.treatment import policy_store, readiness, services, words
from keel.treatment.models import CareArea, FillSource, Intake, NaloxoneProduct
from keel.treatment.services.hours import window_notes


def _errors(exc: InvalidInput) -> str:
    return "; ".join(f"{e.field}: {e.reason}" for e in exc.errors)


RESULT_KEY = "keel_dosing_result"  # the last verdict, shown on its row after the no-JS redirect (session: DB)


def _matches(row: Any, q: str, areas: Any) -> bool:
    """The find field: part of the name, or the whole record number where the caller may see it."""
    q = q.strip().casefold()
    if q in row.patient.display_name.casefold():
        return True
    return policy.field_visible(areas, "record_number") and q == row.patient.record_number.casefold()


@require_safe
@login_required
def dosing(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        rows = services.dosing_list(request.user)
    except NotAllowed:
        raise PermissionDenied from None
    q = request.GET.get("q", "").strip()
    if q:
        areas = frozenset({policy.Area.IDENTITY, policy.Area.CLINICAL})
        rows = [r for r in rows if _matches(r, q, areas)]
    due = sum(1 for r in rows if r.due)
    result = request.session.pop(RESULT_KEY, None)
    return render(
        request,
        "treatment/dosing.html",
        {
            "rows": rows,
            "due": due,
            "q": q,
            "result": result,
            "result_for": result["patient"] if result else None,
            "result_medication": result["medication"] if result else None,
            "windows": window_notes(request.user, timezone.now()),
        },
    )


def _dose_result(request: AuthenticatedHttpRequest, patient_id: int, medication: str) -> dict[str, Any]:
    """Record the dose; the verdict in plain words and its kind: given, held or blocked."""
    raw_sequence = request.POST.get("sequence", "")
    try:
        outcome = services.record_dose(
            by=request.user,
            patient_id=patient_id,
            sequence=int(raw_sequence) if raw_sequence.isdigit() else None,
            amount_mg=request.POST.get("amount_mg") or None,
            sedated=request.POST.get("sedated") == "on",
            medication=medication,
            bottle_returned=request.POST.get("bottle_returned") == "on",
        )
    except services.DoseBlocked as exc:
        why = " ".join(words.reason_text(r) for r in exc.decision.reasons)
        return {"kind": "blocked", "text": _("Not given: %(why)s") % {"why": why}}
    except services.DoseConflict:
        return {
            "kind": "blocked",
            "text": _(
                "Already given today: this dose is already recorded. "
                "Reload the list before recording another."
            ),
        }
    except InvalidInput as exc:
        if not request.POST.get("amount_mg", "").strip() and any(e.field == "amount_mg" for e in exc.errors):
            text = _("Not given: type the amount given (mg). It is never filled in for you.")
        elif any(e.field == "bottle_returned" for e in exc.errors):
            text = _(
                "Not given: today is a take-home day. Give a dose at the window only when today's bottle "
                "is returned unopened, and tick that box."
            )
        else:
            text = _("Not recorded: %(why)s") % {"why": _said(exc)}
        return {"kind": "blocked", "text": text}
    dose = outcome.dose
    if dose.status == "held":
        return {
            "kind": "held",
            "text": _("Dose held for %(name)s. A prescriber has been asked to assess.")
            % {"name": dose.patient.display_name},
        }
    return {
        "kind": "given",
        "text": _("%(mg)s mg given to %(name)s.")
        % {"mg": f"{dose.amount_mg.normalize():f}", "name": dose.patient.display_name},
    }


@require_POST
@login_required
def record_dose(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Enter on a row: with htmx, the row comes back with the verdict on it (the list is not reloaded);
    without JavaScript, POST then redirect to the list, the verdict shown on the same row."""
    medication = request.POST.get("medication") or "methadone"
    if medication not in services.WINDOW_MEDICATIONS:
        medication = "methadone"  # the service names anything else; the window lists only these
    try:
        result = _dose_result(request, patient_id, medication)
    except NotAllowed:
        raise PermissionDenied from None
    result |= {"patient": patient_id, "medication": medication}
    if request.headers.get("HX-Request") == "true":
        row = services.dosing_row(request.user, patient_id=patient_id, medication=medication)
        if row is None:  # no longer on the list (discharged, order stopped): the whole page then
            request.session[RESULT_KEY] = result
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("treatment:dosing")
            return response
        return render(request, "treatment/_dosing_row.html", {"r": row, "result": result, "focus": True})
    request.session[RESULT_KEY] = result
    anchor = f"#p{patient_id}" + ("" if medication == "methadone" else f"-{medication}")
    return HttpResponseRedirect(reverse("treatment:dosing") + anchor)


@require_http_methods(["GET", "POST"])
@login_required
def medication(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    if request.method == "POST":
        return _medication_post(request, patient_id)
    record = services.medication_record(request.user, patient_id=patient_id)
    review = services.take_home_review(record.patient) if policy.can_prescribe(request.user) else None
    flag_words = dict(FlagKind.choices) | {"missed_doses": _("Missed observed doses")}
    for dose in record.doses:  # the check's verdict in words, never its code
        setattr(dose, "verdict_words", words.dose_verdict(str((dose.decision or {}).get("decision", ""))))  # noqa: B010
    return render(
        request,
        "treatment/medication.html",
        {
            "ntx": _naltrexone_view(record.patient) if policy.can_record_dose(request.user) else None,
            "r": record,
            "patient": record.patient,
            "criteria": CRITERIA,
            "can_prescribe": policy.can_prescribe(request.user),
            "can_dose": policy.can_record_dose(request.user),
            "fill_sources": FillSource.choices,
            "review": review,
            "today": local_today(record.patient, timezone.now()),
            "concerns": [
                (c.id, flag_words.get(c.kind, c.kind), c.raised_on)
                for c in (review.concerns if review else [])
            ],
        },
    )


def _naltrexone_view(patient: Any) -> dict[str, Any]:
    """XR-naltrexone readiness for a first injection, in words."""
    read = readiness.naltrexone_readiness(patient, timezone.now())
    decision = read.decision
    return {
        "code": decision.decision if decision else "needs",
        "verdict": words.NALTREXONE.get(decision.decision, "") if decision else "",
        "reasons": [words.reason_text(r) for r in decision.reasons] if decision else [],
        "sources": words.sources(decision),
    }


def _medication_post(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
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
                override_reason=post.get("override_reason", ""),
            )
            messages.success(request, _("Order saved."))
        elif form == "override":
            services.add_override(
                by=request.user,
                patient_id=patient_id,
                kind=post.get("kind", "limit"),
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
                start_on=post.get("start_on") or None,
                acknowledged_flags=post.getlist("acknowledged_flags"),
                bottle_days=post.get("bottle_days", "").replace(",", " ") or None,
                closure_day=post.get("closure_day") or None,
            )
            messages.success(
                request, _("Take-home decision: up to %(n)s days.") % {"n": plan.max_supply_days}
            )
        elif form == "end_take_home":
            raw_plan = post.get("plan_id", "")
            services.end_take_home_plan(
                by=request.user,
                patient_id=patient_id,
                plan_id=int(raw_plan) if raw_plan.isdigit() else 0,
                reason=post.get("reason", ""),
                from_day=post.get("from_day") or None,
                returned_days=post.get("returned_days", "").replace(",", " ") or None,
            )
            messages.success(
                request, _("The take-home plan is ended. It stays in the record with your reason.")
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
    except services.HeldDoseNotAllowed as exc:  # the nurse may correct other doses: say why, on the page
        messages.error(request, _("Not saved: %(why)s") % {"why": str(exc)})
    except services.TakeHomeEndNotAllowed as exc:  # the nurse reads the plan here: say why, on the page
        messages.error(request, _("Not saved: %(why)s") % {"why": str(exc)})
    except services.PlanAlreadyEnded as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": str(exc)})
    except NotAllowed:
        raise PermissionDenied from None
    except InvalidInput as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": _errors(exc)})
    return HttpResponseRedirect(reverse("treatment:medication", args=[patient_id]))


@require_http_methods(["GET", "POST"])
@login_required
def program_policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    slug = request.GET.get("program") or request.POST.get("program") or None
    error = ""
    if request.method == "POST":
        try:
            policy_store.set_value(
                by=request.user,
                program_slug=slug,
                rule=request.POST.get("rule", ""),
                field=request.POST.get("field", ""),
                value=number_from_text(request.POST.get("value", "")),  # "nan", "inf": text, refused by name
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Policy changed. The change is in the history and the audit trail."))
            return HttpResponseRedirect(reverse("treatment:policy"))
        except policy_store.PolicyNotAllowed:
            raise PermissionDenied from None
        except InvalidInput as exc:
            error = _("Not changed: %(why)s") % {"why": _errors(exc)}
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
            "error": error,
            "error_rule": request.POST.get("rule", "") if error else "",
            "error_field": request.POST.get("field", "") if error else "",
            "typed_value": request.POST.get("value", ""),
            "typed_reason": request.POST.get("reason", ""),
        },
        status=422 if error else 200,
    )


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


def _local_time(text: str, zone: Any) -> str:
    """A datetime-local value ("2026-11-25T06:30") as an ISO time in the program's zone; text that is not a
    date and time is passed on as typed, so that the core names it."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=zone).isoformat() if text else ""
    except ValueError:
        return text


def _intake_from_form(post: Any, zone: Any) -> dict[str, Any]:
    """The intake as the core reads it. An opioid with a time of last use counts as used even when its box
    was not ticked: a time typed for methadone is never dropped."""
    opioids = []
    for code in core_intake.OPIOIDS:
        when = post.get(f"last_{code}", "").strip()
        if post.get(f"used_{code}") != "on" and not when:
            continue
        opioids.append(
            {"opioid": code, "routes": post.getlist(f"routes_{code}"), "last_use_at": _local_time(when, zone)}
        )
    raw_overdoses = post.get("prior_overdoses", "0").strip() or "0"
    return {
        "opioids": opioids,
        "other_substances": post.getlist("other_substances"),
        "prior_overdoses": int(raw_overdoses) if raw_overdoses.isdigit() else raw_overdoses,
        "prior_treatment": post.getlist("prior_treatment"),
        "pregnant": post.get("pregnant") or None,
        "note": post.get("note", ""),
        **{k: post.get(k) == "on" for k in _INTAKE_FLAGS},
    }


def _intake_form_state(post: Any | None, previous: Any) -> dict[str, Any]:
    """What the intake form shows: what was just typed (after an error), else the latest intake's answers
    with the times of last use left empty (they are asked again), else nothing."""
    if post is not None:
        used = {
            c
            for c in core_intake.OPIOIDS
            if post.get(f"used_{c}") == "on" or post.get(f"last_{c}", "").strip()
        }
        return {
            "used": used,
            "routes": {c: post.getlist(f"routes_{c}") for c in core_intake.OPIOIDS},
            "last": {c: post.get(f"last_{c}", "").strip() for c in core_intake.OPIOIDS},
            "other_substances": post.getlist("other_substances"),
            "prior_treatment": post.getlist("prior_treatment"),
            "prior_overdoses": post.get("prior_overdoses", ""),
            "pregnant": post.get("pregnant", ""),
            "note": post.get("note", ""),
            "flags": {k for k in _INTAKE_FLAGS if post.get(k) == "on"},
        }
    values = previous.values if previous is not None else {}
    opioids = [o for o in values.get("opioids", []) if isinstance(o, dict)]
    return {
        "used": {o.get("opioid") for o in opioids},
        "routes": {o.get("opioid"): list(o.get("routes", [])) for o in opioids},
        "last": {},
        "other_substances": list(values.get("other_substances", [])),
        "prior_treatment": list(values.get("prior_treatment", [])),
        "prior_overdoses": str(values.get("prior_overdoses", 0)),
        "pregnant": values.get("pregnant", ""),
        "note": "",
        "flags": {k for k in _INTAKE_FLAGS if values.get(k)},
    }


def _intake_errors(errors: list[Any], sent: list[str]) -> dict[str, str]:
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
        patient = policy.get_patient_or_404(
            request.user, patient_id, area=policy.Area.CLINICAL, audit_success=False
        )
        raw = _intake_from_form(request.POST, zone_of(patient))
        try:
            services.record_intake(by=request.user, patient_id=patient_id, raw=raw)
        except NotAllowed:
            raise PermissionDenied from None
        except InvalidInput as exc:
            errors = _intake_errors(exc.errors, [o["opioid"] for o in raw["opioids"]])
            post = request.POST
        else:
            messages.success(request, _("Intake saved."))
            return HttpResponseRedirect(reverse("treatment:start", args=[patient_id]))
    else:
        patient = policy.get_patient_or_404(
            request.user, patient_id, area=policy.Area.CLINICAL, target_type="intake_form"
        )
    previous = Intake.objects.filter(patient=patient).first()
    state = _intake_form_state(post, previous)
    rows = [
        {
            "code": code,
            "name": words.opioid(code),
            "used": code in state["used"],
            "routes": [(r, words.ROUTES[r], r in state["routes"].get(code, [])) for r in core_intake.ROUTES],
            "last": state["last"].get(code, ""),
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
            "other": [(c, words.OTHER[c], c in state["other_substances"]) for c in core_intake.OTHER],
            "prior": [
                (c, words.PRIOR[c], c in state["prior_treatment"]) for c in core_intake.PRIOR_TREATMENT
            ],
            "zone": zone_of(patient),
        },
        status=422 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
def start(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    if request.method == "POST":
        return _start_post(request, patient_id)
    return _render_start(request, patient_id)


def _ago(delta: timedelta) -> str:
    """How long ago, in words ("35 min ago", "14 h 5 min ago", "3 days ago")."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(m)s minute ago", "%(m)s minutes ago", minutes) % {"m": minutes}
    if minutes < 48 * 60:
        return _("%(h)s h %(m)s min ago") % {"h": minutes // 60, "m": minutes % 60}
    days = minutes // (24 * 60)
    return ngettext("%(d)s day ago", "%(d)s days ago", days) % {"d": days}


def _readiness_view(read: Any, now: datetime) -> dict[str, Any]:
    """The readiness card in words: the verdict, each opioid's last use and wait, the COWS used and its age,
    and what is still needed. No codes reach the page (the codes only name CSS classes)."""
    decision = read.readiness
    details = {r["opioid"]: r for r in decision.details["opioids"]} if decision else {}
    rows = []
    uses = read.uses.uses if read.uses else {}
    for code in core_intake.OPIOIDS:
        use = uses.get(code)
        if use is None:
            continue
        row = details.get(code, {})
        rows.append(
            {
                "name": words.opioid(code),
                "at": use.at,
                "ago": _ago(now - use.at) if use.at else "",
                "source": words.SOURCES.get(use.source, ""),
                "wait": f"{row['wait_hours']:g}" if row.get("wait_hours") is not None else "",
                "status": words.STATUS.get(row.get("status", ""), ""),
                "css": row.get("status", "unknown"),
            }
        )
    cows = None
    if read.cows is not None:
        status = decision.details["cows"]["status"] if decision else ""
        cows = {
            "total": read.cows.total,
            "at": read.cows.filled_at,
            "ago": _ago(now - read.cows.filled_at),
            "status": words.SCORE_STATUS.get(status, ""),
            "fresh_hours": read.policy.get("cows_fresh_hours"),
        }
    asked = read.uses.asked_at if read.uses else None
    return {
        "code": decision.decision if decision else "needs",
        "verdict": words.READINESS.get(decision.decision, "") if decision else "",
        "reasons": [words.reason_text(r) for r in decision.reasons] if decision else [],
        "sources": words.sources(decision),
        "rows": rows,
        "cows": cows,
        "needs": [words.NEEDS[m] for m in read.missing],
        "asked_at": asked,
        "asked_ago": _ago(now - asked) if asked else "",
        "report_hours": read.policy.get("last_use_report_hours"),
    }


SCREEN_NAMES = (("phq9", "PHQ-9"), ("gad7", "GAD-7"), ("cssrs-screen", "C-SSRS"), ("ort", "ORT"))


def _render_start(
    request: AuthenticatedHttpRequest,
    patient_id: int,
    *,
    typed: Any = None,
    form: str = "",
    error: str = "",
    field_errors: dict[str, str] | None = None,
) -> HttpResponse:
    """The start page; after a refused form, the same page with what was typed and the error beside it."""
    view = services.start_view(request.user, patient_id=patient_id)
    from keel.assessments.meaning import diagnosis_code, explain, specifiers

    dsm = view.latest.get("dsm5-oud")
    limit = None
    if view.context is not None:
        from keel.treatment.policy_store import effective_policy

        p = effective_policy(view.patient, "buprenorphine-dose-limit")
        limit = {1: p["day1_max_mg"], 2: p["day2_max_mg"]}.get(view.context.treatment_day)
    now = view.now or timezone.now()
    return render(
        request,
        "treatment/start.html",
        {
            "v": view,
            "patient": view.patient,
            "zone": zone_of(view.patient),
            "ready": _readiness_view(view.read, now) if view.read else None,
            "overdose_reasons": [
                words.reason_text(r) for r in (view.overdose.reasons if view.overdose else ())
            ],
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
            "last_use_rows": [
                {
                    "code": code,
                    "name": name,
                    "value": (typed or {}).get(f"last_{code}", "") if form == "last_use" else "",
                    "error": (field_errors or {}).get(f"last_{code}", ""),
                }
                for code, name in words.opioid_choices()
            ],
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
            "typed": typed or {},
            "form_with_error": form,
            "form_error": error,
            "field_errors": field_errors or {},
        },
        status=422 if form else 200,
    )


def _last_use_from_form(post: Any, zone: Any) -> dict[str, Any]:
    opioids = [
        {"opioid": code, "last_use_at": _local_time(post.get(f"last_{code}", "").strip(), zone)}
        for code in core_intake.OPIOIDS
        if post.get(f"last_{code}", "").strip()
    ]
    return {"opioids": opioids, "none_since": post.get("none_since") == "on"}


def _last_use_errors(exc: InvalidInput, raw: dict[str, Any]) -> dict[str, str]:
    sent = [o["opioid"] for o in raw["opioids"]]
    out = {}
    for e in exc.errors:
        if e.field.startswith("opioids[") and e.field.endswith("].last_use_at"):
            index = int(e.field[len("opioids[") : e.field.index("]")])
            code = sent[index] if index < len(sent) else ""
            out[f"last_{code}"] = (
                _("This time is in the future. Check the date and the time.")
                if "future" in e.reason
                else _("Give the date and the time of the last use.")
            )
        else:
            out["opioids"] = _("Give a time of last use, or tick “no opioid since”.")
    return out


def _record_last_use(request: AuthenticatedHttpRequest, patient_id: int | None, zone: Any) -> dict[str, str]:
    """Save a report of last use from a page's form; the errors by field (empty when saved)."""
    raw = _last_use_from_form(request.POST, zone)
    if not raw["opioids"] and not raw["none_since"]:
        return {"opioids": _("Give a time of last use, or tick “no opioid since”.")}
    try:
        readiness.record_last_use(by=request.user, patient_id=patient_id, raw=raw)
    except InvalidInput as exc:
        return _last_use_errors(exc, raw)
    return {}


_START_LABELS = {
    "dose_mg": gettext_lazy("Buprenorphine dose (mg)"),
    "amount_mg": gettext_lazy("Dose now (mg)"),
    "max_total_mg": gettext_lazy("Allow up to this total today (mg)"),
    "reason": gettext_lazy("Clinical reason"),
    "schedule": gettext_lazy("Low-dose start"),
    "sequence": gettext_lazy("Dose of the day"),
    "override_reason": gettext_lazy("Reason for a dose above the program's check"),
    "product": gettext_lazy("Product"),
    "quantity": gettext_lazy("Kits"),
    "area": gettext_lazy("Area"),
    "goal": gettext_lazy("Goal"),
    "responsible": gettext_lazy("Responsible"),
    "review_on": gettext_lazy("Review on"),
    "order": gettext_lazy("Order"),
}


def _said(exc: InvalidInput) -> str:
    return "; ".join(
        f"{_START_LABELS.get(e.field.split('[')[0], e.field.replace('_', ' '))}: {e.reason}"
        for e in exc.errors
    )


def _slot(raw: str) -> Any:
    """The dose slot a page's form sent: a number, or the text as typed (the service names a bad one)."""
    return int(raw) if raw.isdigit() else (raw or None)


def _start_post(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post, form = request.POST, request.POST.get("form", "")
    back = HttpResponseRedirect(reverse("treatment:start", args=[patient_id]))
    try:
        if form == "last_use":
            patient = policy.get_patient_or_404(
                request.user, patient_id, area=policy.Area.CLINICAL, audit_success=False
            )
            errors = _record_last_use(request, patient_id, zone_of(patient))
            if errors:
                return _render_start(
                    request,
                    patient_id,
                    typed=post,
                    form=form,
                    error=_("Not saved: check the times marked below."),
                    field_errors=errors,
                )
            messages.success(request, _("Times of last use saved."))
        elif form == "order":
            services.prescribe(
                by=request.user,
                patient_id=patient_id,
                medication="buprenorphine",
                dose_mg=post.get("dose_mg"),
                home_start=post.get("home_start") == "on",
                schedule=_schedule_from_text(post.get("schedule", "")),
                override_reason=post.get("override_reason", ""),
            )
            messages.success(request, _("Order saved."))
        elif form == "dose":
            outcome = services.record_dose(
                by=request.user,
                patient_id=patient_id,
                medication="buprenorphine",
                amount_mg=post.get("amount_mg") or None,
                sedated=post.get("sedated") == "on",
                sequence=_slot(
                    post.get("sequence", "")
                ),  # the form's slot: a second Enter is "already given"
            )
            messages.success(request, " ".join(words.reason_text(r) for r in outcome.decision.reasons))
        elif form == "override":
            services.add_override(
                by=request.user,
                patient_id=patient_id,
                medication="buprenorphine",
                kind=post.get("kind", "limit"),
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
        why = " ".join(words.reason_text(r) for r in exc.decision.reasons)
        return _render_start(
            request, patient_id, typed=post, form=form, error=_("Not given: %(why)s") % {"why": why}
        )
    except services.DoseConflict:
        return _render_start(
            request,
            patient_id,
            typed=post,
            form=form,
            error=_(
                "Already given today: this dose is already recorded. "
                "Reload the page before recording another."
            ),
        )
    except InvalidInput as exc:
        return _render_start(
            request, patient_id, typed=post, form=form, error=_("Not saved: %(why)s") % {"why": _said(exc)}
        )
    return back


@require_safe
@login_required
def my_care_plan(request: AuthenticatedHttpRequest) -> HttpResponse:
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


@require_http_methods(["GET", "POST"])
@login_required
def home_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's home start; they tell when they last used (each opioid) on the same page."""
    field_errors: dict[str, str] = {}
    if request.method == "POST":
        mine = policy.own_patient_or_404(request.user, target_type="home_start", audit_success=False)
        field_errors = _record_last_use(request, None, zone_of(mine))
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
            "value": typed.get(f"last_{code}", ""),
            "error": field_errors.get(f"last_{code}", ""),
            "listed": code in listed,
        }
        for code, name in words.opioid_choices()
    ]
    return render(
        request,
        "treatment/home_start.html",
        {
            "h": h,
            "zone": zone_of(h.patient) if h.patient else timezone.get_current_timezone(),
            "verdict": words.HOME.get(h.decision.decision, "") if h.decision else "",
            "code": h.decision.decision if h.decision else "needs",
            "reasons": [words.reason_text(r) for r in h.decision.reasons] if h.decision else [],
            "needs": [words.NEEDS_MINE[m] for m in h.missing if m in words.NEEDS_MINE],
            "sows_ago": _ago(now - h.sows.filled_at) if h.sows else "",
            "rows": rows,
            "field_errors": field_errors,
            "none_since": bool(typed.get("none_since")),
        },
        status=422 if field_errors else 200,
    )


@require_POST
@login_required
def injection(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    try:
        outcome = services.record_injection(
            by=request.user,
            patient_id=patient_id,
            site=request.POST.get("site", ""),
            naloxone_challenge_negative=request.POST.get("naloxone_challenge_negative") == "on",
        )
        verdict = words.NALTREXONE.get(outcome.decision.decision, "")
        said = " ".join(words.reason_text(r) for r in outcome.decision.reasons)
        messages.success(
            request, _("Injection recorded. %(verdict)s. %(why)s") % {"verdict": verdict, "why": said}
        )
    except NotAllowed:
        raise PermissionDenied from None
    except services.DoseBlocked as exc:
        verdict = words.NALTREXONE.get(exc.decision.decision, "")
        said = " ".join(words.reason_text(r) for r in exc.decision.reasons)
        messages.error(request, _("Not given: %(verdict)s. %(why)s") % {"verdict": verdict, "why": said})
    except InvalidInput as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": _errors(exc)})
    return HttpResponseRedirect(reverse("treatment:medication", args=[patient_id]))
