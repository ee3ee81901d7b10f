"""The buprenorphine start page: readiness, the order, the first doses, naloxone and care-plan goals; one view
per action on it, each at its own URL (as on the medication page). A refused form comes back as the same page
(422) with what was typed and the reason beside it; a done one goes back to the page with a message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.http import AuthenticatedHttpRequest
from keel.accounts.names import staff_name
from keel.assessments.services import EMERGENCY_INSTRUMENTS
from keel.core import intake as core_intake
from keel.core import wall_time
from keel.core.digits import ascii_digits
from keel.core.rules.buprenorphine import DOSE_LIMIT
from keel.core.rules.buprenorphine.timing import TimingRow
from keel.core.rules.inputs import InvalidInput
from keel.patients.models import zone_of
from keel.recovery.common import StaleEdit
from keel.treatment import queries, services, words
from keel.treatment.models import CareArea, Medication, NaloxoneProduct
from keel.treatment.queries.start import StartView
from keel.treatment.readiness import LastUse, ReadinessRead
from keel.treatment.services import last_use as last_use_service
from keel.treatment.views.common import (
    ago,
    holds,
    last_use_from_page,
    local_time,
    order_changed_words,
    order_versions_sent,
    said,
    skipped_time_error,
)
from keel.web import field_words


@require_safe
@login_required
def start(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return _render_start(request, patient_id)


@dataclass(frozen=True)
class CorrectionShown:
    """A prescriber's correction of a time of last use: who, when, the time struck and why."""

    by: str
    on: datetime
    struck: datetime
    reason: str


@dataclass(frozen=True)
class LastUseShown:
    """One opioid's row of the readiness card: its last use (when, how long ago, where Keel knows it from,
    whether it may be corrected and the correction that gave it), the wait the rule asks and its status.
    `mine`: the row of a refused correction, open as typed."""

    code: str
    name: str
    at: datetime | None
    ago: str
    source: str
    correctable: bool
    struck: str  # the time a correction would strike, ISO ("" without one)
    correction: CorrectionShown | None
    wait: str
    status: str
    css: str  # the status's code, for the CSS class ("unknown" before a decision)
    mine: bool = False


@dataclass(frozen=True)
class CowsShown:
    """The COWS the verdict used: its total, when it was scored and how long ago, its status, and how long a
    COWS counts (program policy)."""

    total: int | None
    at: datetime
    ago: str
    status: str
    fresh_hours: float | None


@dataclass(frozen=True)
class ReadinessCard:
    """The readiness card in words: the verdict (its code only names CSS classes; "needs": not decided yet),
    its reasons and sources, each opioid's row, the COWS used, what is still needed, when the times were
    asked, and the report window (hours)."""

    code: str
    verdict: str
    reasons: list[str]
    sources: list[str]
    rows: list[LastUseShown]
    cows: CowsShown | None
    needs: list[str]
    asked_at: datetime | None
    asked_ago: str
    report_hours: float | None


def _hours(policy: Mapping[str, object], name: str) -> float | None:
    """A policy value in hours, as the card shows it; None before the policy is read."""
    value = policy.get(name)
    return value if isinstance(value, int | float) else None


def _last_use_shown(
    code: str, use: LastUse, row: TimingRow | Mapping[str, str], now: datetime
) -> LastUseShown:
    """One opioid's last use on the card: when, how long ago, from which record, its correction, and the
    wait the decision set for it (`row`: empty before a decision)."""
    fix = use.correction
    return LastUseShown(
        code=code,
        name=words.opioid(code),
        at=use.at,
        ago=ago(now - use.at) if use.at else "",
        source=str(words.SOURCES.get(use.source, "")),
        # a reported time (an intake's or a report's, corrected or not) may be corrected; the
        # program's own records may not (issue #13)
        correctable=use.at is not None and use.source in ("intake", "report", "corrected"),
        struck=use.at.isoformat() if use.at else "",
        correction=CorrectionShown(
            by=staff_name(fix.corrected_by),
            on=fix.recorded_at,
            struck=fix.struck_at,
            reason=fix.reason,
        )
        if fix is not None
        else None,
        wait=f"{row['wait_hours']:g}" if row.get("wait_hours") is not None else "",
        status=str(words.STATUS.get(row.get("status", ""), "")),
        css=row.get("status", "unknown"),
    )


def _readiness_view(read: ReadinessRead, now: datetime) -> ReadinessCard:
    """The readiness card in words: the verdict, each opioid's last use and wait, the COWS used and its age,
    and what is still needed. No codes reach the page (the codes only name CSS classes)."""
    decision = read.readiness
    details = {r["opioid"]: r for r in decision.details["opioids"]} if decision else {}
    uses = read.uses.uses if read.uses else {}
    rows = [
        _last_use_shown(code, uses[code], details.get(code, {}), now)  # {}: no decision yet
        for code in core_intake.OPIOIDS
        if code in uses
    ]
    cows = None
    if read.cows is not None:
        status = decision.details["cows"]["status"] if decision else ""
        cows = CowsShown(
            total=read.cows.total,
            at=read.cows.filled_at,
            ago=ago(now - read.cows.filled_at),
            status=str(words.SCORE_STATUS.get(status, "")),
            fresh_hours=_hours(read.policy, "cows_fresh_hours"),
        )
    asked = read.uses.asked_at if read.uses else None
    return ReadinessCard(
        code=decision.decision if decision else "needs",
        verdict=str(words.READINESS.get(decision.decision, "")) if decision else "",
        reasons=[words.reason_text(r) for r in decision.reasons] if decision else [],
        sources=words.sources(decision),
        rows=rows,
        cows=cows,
        needs=[str(words.NEEDS[m]) for m in read.missing],
        asked_at=asked,
        asked_ago=ago(now - asked) if asked else "",
        report_hours=_hours(read.policy, "last_use_report_hours"),
    )


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
    limit = _day_limit_shown(view)
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
            "overdose_reasons": [
                words.reason_text(r) for r in (view.overdose.reasons if view.overdose else ())
            ],
            **_assessments_shown(view),
            "last_use_rows": _last_use_rows(form, typed, field_errors),
            "day_limit": limit,
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


def _day_limit_shown(view: StartView) -> float | None:
    """Today's buprenorphine limit on day 1 or 2 of treatment (the program's policy), else None."""
    limit: float | None = None
    if view.context is not None:
        from keel.treatment.queries.policy import effective_policy

        p = effective_policy(view.patient, DOSE_LIMIT)
        limit = {1: p["day1_max_mg"], 2: p["day2_max_mg"]}.get(view.context.treatment_day)
    return limit


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


@dataclass(frozen=True)
class LastUseField:
    """One opioid's field of the last-use form: its code and name, what was typed (after a refused last-use
    form) and its error."""

    code: str
    name: str
    value: str
    error: str


def _last_use_rows(
    form: str, typed: QueryDict | None, field_errors: dict[str, str] | None
) -> list[LastUseField]:
    """The last-use form's rows: each opioid, what was typed (after a refused last-use form), its error."""
    return [
        LastUseField(
            code=code,
            name=name,
            value=(typed.get(f"last_{code}", "") if typed else "") if form == "last_use" else "",
            error=(field_errors or {}).get(f"last_{code}", ""),
        )
        for code, name in words.opioid_choices()
    ]


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
        "team": view.patient.care_team.select_related("user") if can_plan and not emergency else [],
    }


def _slot(raw: str) -> Any:
    """The dose slot a page's form sent: a number, or the text as typed (the service names a bad one)."""
    return int(raw) if ascii_digits(raw) else (raw or None)


def _act(
    request: AuthenticatedHttpRequest, patient_id: int, form: str, act: Callable[[], str | HttpResponse]
) -> HttpResponse:
    """Run one action of the start page (its service call; it returns what to tell on success, or the page
    itself when it names its own errors) and go back to the page with the outcome as a message. A role the
    service refuses outright: 403. A dose the window holds, a dose already given or bad input: the same page
    again (422) with what was typed and the reason beside the form (`form`)."""
    post = request.POST
    try:
        done = act()
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    except services.DoseBlocked as exc:
        why = words.reasons_text(exc.decision.reasons)
        return _render_start(
            request, patient_id, typed=post, form=form, error=_("Not given: %(why)s") % {"why": why}
        )
    except StaleEdit as exc:  # an order written since the page was read: nothing typed is put back
        return _render_start(request, patient_id, form=form, error=order_changed_words(exc), status=409)
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
            request, patient_id, typed=post, form=form, error=_("Not saved: %(why)s") % {"why": said(exc)}
        )
    if isinstance(done, HttpResponse):
        return done
    messages.success(request, done)
    return HttpResponseRedirect(reverse("treatment:start", args=[patient_id]))


@require_POST
@login_required
def last_use(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    def act() -> str | HttpResponse:
        patient = policy.get_patient_or_404(
            request.user, patient_id, area=policy.Area.CLINICAL, audit_success=False
        )
        errors = last_use_from_page(request, patient_id, zone_of(patient))
        if errors:
            return _render_start(
                request,
                patient_id,
                typed=request.POST,
                form="last_use",
                error=_("Not saved: check the times marked below."),
                field_errors=errors,
            )
        return _("Times of last use saved.")

    return _act(request, patient_id, "last_use", act)


def _correction_errors(exc: InvalidInput) -> dict[str, str]:
    """The service's refusals of a correction, in words, by field (no codes reach the page)."""
    out: dict[str, str] = {}
    for e in exc.errors:
        if e.field == "corrected_at":
            out["corrected_at"] = (
                _(
                    "The right time must be earlier than the time struck. A later time is a new answer: "
                    "ask again for the time of last use."
                )
                if e.reason == last_use_service.NOT_EARLIER
                else _("This time is in the future. Check the date and the time.")
                if "future" in e.reason
                else _("Give the date and the time of the last use.")
            )
        elif e.field == "reason":
            out["reason"] = field_words.said(e)  # the one check's own answer (review 24r: one answer)
        elif e.field == "struck_at" and e.reason == last_use_service.PROGRAM_RECORD:
            out["struck_at"] = _(
                "This time comes from the program's own record (a dose given here, a take-home day or a "
                "fill): it cannot be struck."
            )
        else:  # the opioid or the struck time the page sent: the record changed since it was shown
            out["struck_at"] = _(
                "This time is no longer the one the record shows. Reload the page and try again."
            )
    return out


@require_POST
@login_required
def last_use_correction(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A prescriber strikes a time of last use typed by mistake and gives the right, earlier time (local
    time, read the later way on the night the clocks go back), or ticks that the record gives no other."""
    post = request.POST

    def refused(errors: dict[str, str]) -> HttpResponse:
        return _render_start(
            request,
            patient_id,
            typed=post,
            form="last_use_correction",
            error=errors.get("struck_at") or _("Not corrected: check the fields marked below."),
            field_errors=errors,
        )

    def act() -> str | HttpResponse:
        # the role first (403 for a nurse, audited), then the form's own checks, then the one service call
        patient = last_use_service.scoped_for_correction(request.user, patient_id)
        typed = post.get("corrected_at", "").strip()
        no_time = post.get("no_time") == "on"
        if not typed and not no_time:
            return refused({"corrected_at": _("Give the right time, or tick that it is not known.")})
        corrected: str | None = None
        skipped = False
        if typed:
            try:
                corrected = local_time(typed, zone_of(patient), ambiguous=wall_time.LATER)
            except wall_time.WallTimeMissing:
                corrected, skipped = typed, True  # refused below, with the words for a skipped hour
        try:
            services.correct_last_use(
                by=request.user,
                patient_id=patient_id,
                opioid=post.get("opioid", ""),
                struck_at=post.get("struck_at", ""),
                corrected_at=corrected,
                reason=post.get("reason", ""),
            )
        except InvalidInput as exc:
            errors = _correction_errors(exc)
            if skipped:
                errors["corrected_at"] = skipped_time_error()
            return refused(errors)
        return _("Time of last use corrected.")

    return _act(request, patient_id, "last_use_correction", act)


@require_POST
@login_required
def order(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """A buprenorphine order from the start page: every medication's version the page read goes with it, as
    from the medication page (`order_versions_sent`; review 23a hole 3: a methadone or naltrexone order
    written since the page was read is the page again, 409, nothing written)."""
    post = request.POST
    chosen, others = order_versions_sent(post, Medication.BUPRENORPHINE, chosen="order_version")

    def act() -> str:
        services.prescribe(
            by=request.user,
            patient_id=patient_id,
            medication="buprenorphine",
            dose_mg=post.get("dose_mg"),
            home_start=post.get("home_start") == "on",
            schedule=_schedule_from_text(post.get("schedule", "")),
            override_reason=post.get("override_reason", ""),
            order_version=chosen,
            other_versions=others,
        )
        return _("Order saved.")

    return _act(request, patient_id, "order", act)


@require_POST
@login_required
def dose(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        outcome = services.record_dose(
            by=request.user,
            patient_id=patient_id,
            medication="buprenorphine",
            amount_mg=post.get("amount_mg") or None,
            sedated=holds(post, "sedated"),
            sequence=_slot(post.get("sequence", "")),  # the form's slot: a second Enter is "already given"
        )
        return words.reasons_text(outcome.decision.reasons)

    return _act(request, patient_id, "dose", act)


@require_POST
@login_required
def override(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        services.add_override(
            by=request.user,
            patient_id=patient_id,
            medication="buprenorphine",
            kind=post.get("kind", "limit"),
            max_total_mg=post.get("max_total_mg"),
            reason=post.get("reason", ""),
        )
        return _("Override saved for today.")

    return _act(request, patient_id, "override", act)


@require_POST
@login_required
def naloxone(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        services.dispense_naloxone(
            by=request.user,
            patient_id=patient_id,
            product=post.get("product", ""),
            quantity=post.get("quantity", "1"),
        )
        return _("Naloxone kit recorded.")

    return _act(request, patient_id, "naloxone", act)


@require_POST
@login_required
def goal(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        services.add_goal(
            by=request.user,
            patient_id=patient_id,
            area=post.get("area", ""),
            goal=post.get("goal", ""),
            responsible_id=post.get("responsible", ""),
            review_on=post.get("review_on", ""),
        )
        return _("Goal added to the care plan.")

    return _act(request, patient_id, "goal", act)


def _schedule_from_text(text: str) -> list[dict[str, object]]:
    """Lines of "day mg" (e.g. "1 0.5") as the core's schedule; a line that does not parse is passed on as
    written so that the core names it."""
    steps: list[dict[str, object]] = []
    for line in text.strip().splitlines():
        parts = line.replace(",", " ").split()
        if len(parts) == 2 and ascii_digits(parts[0]):
            try:
                steps.append({"day": int(parts[0]), "mg": float(parts[1])})
                continue
            except ValueError:
                pass
        steps.append({"day": line, "mg": None})
    return steps
