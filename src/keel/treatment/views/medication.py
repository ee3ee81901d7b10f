"""A patient's medication record: the page, and one view per action on it, each at its own URL (named as the
API's routes). Each action calls one service; the page comes back with the outcome in a message (no
JavaScript needed). Permissions and guard rails live in the services."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

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
from keel.core import episodes
from keel.core.decision import Reason
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import InvalidInput
from keel.core.rules.methadone import CRITERIA
from keel.patients.models import FlagKind, Patient, local_today, zone_of
from keel.recovery.common import StaleEdit
from keel.treatment import queries, readiness, services, words
from keel.treatment.end_words import day_words, days_words, plan_end
from keel.treatment.models import FillSource, MedicationOrder, OrderStatus, TakeHomePlan, order_in_force
from keel.treatment.order_words import mg_words
from keel.treatment.start_rested_on import rested_on
from keel.treatment.views.common import errors_text, order_changed_words, order_versions_sent
from keel.web.dates import shown_date, shown_days_in

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DOSES_IN_VIEW = 7  # a week of daily doses in view; the older ones one tap away


@require_safe
@login_required
def medication(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    return _medication_page(request, patient_id)


def _medication_page(
    request: AuthenticatedHttpRequest,
    patient_id: int,
    *,
    order_error: str = "",
    stale_dose: tuple[int, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The medication page; after an order refused because another was written since the page was read
    (`order_error`, status 409), the same page with the current orders, a fresh order form carrying their
    version, and the reason beside it. Nothing typed is put back: the prescriber decides again on what is
    now in force. After a correction refused the same way (`stale_dose`: the dose and why, lane fix34a),
    the page with the dose as it stands now and the reason beside its form. In steps: the record read, its
    stored verdicts and plans in words (`_record_in_words`), the order lines (`_order_lines`), the page's
    context (`_page_context`)."""
    all_doses = request.GET.get("doses") == "all"  # the page's "show all doses" link
    record = queries.medication_record(request.user, patient_id=patient_id, all_doses=all_doses)
    # Under emergency access (the scoped patient says so) the services refuse an order, an override, take-home
    # doses, a correction or a void: a fill's, a QTc's and an injection's forms stay (review 19d)
    emergency = policy.through_emergency_access(request.user, record.patient)
    can_prescribe = policy.can_prescribe(request.user) and not emergency
    review = queries.take_home_review(record.patient) if can_prescribe else None
    flag_words = dict(FlagKind.choices) | {"missed_doses": _("Missed observed doses")}
    today = _record_in_words(record)
    orders = _order_lines(record.orders, today)
    shown = _Shown(all_doses, emergency, can_prescribe, review, today, orders, flag_words)
    return render(
        request,
        "treatment/medication.html",
        _page_context(request, record, shown, order_error) | _stale_dose(stale_dose),
        status=status,
    )


def _record_in_words(record: queries.MedicationRecord) -> date:
    """The record's stored verdicts and plans as the page says them (set on each row), and the patient's
    today they are said from (returned)."""
    for dose in record.doses:  # the check's verdict in words, never its code; its reasons in the reader's
        setattr(dose, "verdict_words", words.dose_verdict(str((dose.decision or {}).get("decision", ""))))  # noqa: B010
        said = words.stored_reasons(dose.decision) + words.rested_on_words(rested_on(dose))  # lane fix36d
        setattr(dose, "reason_words", said)  # noqa: B010
        # lane fix33d (review 33c hole 3): the day in treatment as every screen counts it
        setattr(dose, "day_shown", episodes.counted_day(dose.treatment_day, record.admission_day_number))  # noqa: B010
        # lane fix34a (review 34a hole 1): the version of its corrections the correction form sends back
        setattr(dose, "correction_version", queries.correction_version(dose))  # noqa: B010
    today = local_today(record.patient, timezone.now())
    for plan in record.take_homes:
        _plan_in_words(plan, record, today)
    for q in record.qtc:
        setattr(q, "reason_words", words.stored_reasons(q.decision))  # noqa: B010
    return today


def _plan_in_words(plan: TakeHomePlan, record: queries.MedicationRecord, today: date) -> None:
    """A take-home plan as the page says it: its reasons, its bottles' days and mg, the day it was decided,
    whether a prescriber may still end it, its end, and the bottles still at home after it ended."""
    setattr(plan, "reason_words", words.stored_reasons(plan.decision, near=today))  # noqa: B010
    # lane words25: every day on the plan as a person reads it ("Sat, Dec 5"), never ISO
    setattr(plan, "bottle_runs", words.day_runs(plan.bottles, today))  # noqa: B010
    setattr(plan, "bottle_mg_runs", words.bottle_mg_runs(plan.bottle_mg, today))  # noqa: B010
    setattr(plan, "not_before_words", _not_before_words(plan, today, zone_of(record.patient)))  # noqa: B010
    decided_on = timezone.localtime(plan.decided_at, zone_of(record.patient)).date()
    setattr(plan, "decided_on_words", day_words(decided_on, today))  # noqa: B010
    # review 23b hole 4: a plan kept back today may still be ended by a prescriber (the form is offered)
    setattr(plan, "may_end", plan.ended_on is None or services.kept_back_today(plan, today))  # noqa: B010
    _plan_end_in_words(plan, today, zone_of(record.patient))
    # review 24b holes 5 and 6: bottles still at home after the plan ended: the call-back, and the form
    # to record them brought back
    home = record.call_back.get(plan.pk, {})
    setattr(plan, "call_back_words", words.call_back_words(home, today))  # noqa: B010
    # lane words25: the bottles at home to tick as brought back, each its day and mg (no dates to type)
    at_home = [(d.isoformat(), day_words(d, today), mg_words(mg)) for d, mg in sorted(home.items())]
    setattr(plan, "at_home", at_home)  # noqa: B010


@dataclass(frozen=True)
class _Shown:
    """What the medication page decided before it renders: the doses asked for, who may do what on it, the
    take-home review, the patient's today, the order lines and a flag kind's words."""

    all_doses: bool
    emergency: bool
    can_prescribe: bool
    review: queries.TakeHomeReview | None
    today: date
    orders: list[OrderLine]
    flag_words: dict[str, StrOrPromise]


def _page_context(
    request: AuthenticatedHttpRequest, record: queries.MedicationRecord, shown: _Shown, order_error: str
) -> dict[str, object]:
    """The medication page's template context."""
    review, today, orders = shown.review, shown.today, shown.orders
    return {
        "ntx": _naltrexone_view(record.patient) if policy.can_record_dose(request.user) else None,
        "r": record,
        "orders": orders,
        # on a phone the page is scanned, not scrolled (lane words22: 21,360 px before): the orders in
        # force or to come and the last week of doses in view, the rest folded under <details>
        "current_orders": [line for line in orders if line.current],
        "earlier_orders": [line for line in orders if not line.current],
        "recent_doses": record.doses[:DOSES_IN_VIEW],
        "earlier_doses": record.doses[DOSES_IN_VIEW:],
        "all_doses": shown.all_doses,
        "patient": record.patient,
        "criteria": [(key, _(text)) for key, text in CRITERIA],
        "emergency": shown.emergency,
        "can_prescribe": shown.can_prescribe,
        "can_dose": policy.can_record_dose(request.user),
        # lane end26: the nurse at the window records bottles brought back (the call-back list's form)
        "can_record_brought_back": policy.can_record_brought_back(request.user) and not shown.emergency,
        "can_correct": policy.can_record_dose(request.user) and not shown.emergency,
        "fill_sources": FillSource.choices,
        "review": review,
        "bottles_held_runs": words.day_runs(review.bottles_held, today) if review else "",
        "today": today,
        # a recent QTc over 450 ms where methadone is ordered (Krantz 2009), in the reader's language
        "qtc_warnings": [(words.reason_shown(w), _citations(w.sources)) for w in record.qtc_warnings],
        "concerns": [
            (c.id, shown.flag_words.get(c.kind, c.kind), shown_days_in(c.raised_on, near=today))
            for c in (review.concerns if review else [])
        ],
        # the version of each medication's orders this page shows: the order form sends it back (read
        # by the record before the orders it shows, never newer: session 23)
        "order_versions": record.order_versions if shown.can_prescribe else {},  # read before its orders
        "order_error": order_error,
        # lane switch39: the choice for another medication's active order, offered when there is one
        "active_others": queries.active_others(record.patient) if shown.can_prescribe else [],
    }


# What `services.take_homes._record_brought_back` appends to an ended plan's reason, in English, for each
# time bottles are recorded brought back after the end: " Brought back (2026-12-05, 2026-12-06): <note>".
_BROUGHT_BACK = re.compile(
    r" ?Brought back \(([0-9]{4}-[0-9]{2}-[0-9]{2}(?:, [0-9]{4}-[0-9]{2}-[0-9]{2})*)\): "
)


def _brought_back(reason: str) -> tuple[str, list[tuple[str, str]]]:
    """An ended plan's stored reason split (lane words25): the end's own reason, which `end_words.plan_end`
    says in the reader's words (with the appended parts it matched none of its templates and was shown as
    stored, English and ISO days on a Spanish page), and each "brought back" part: its ISO days and the
    prescriber's note as typed."""
    parts = _BROUGHT_BACK.split(reason)
    return parts[0], [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def _plan_end_in_words(plan: TakeHomePlan, today: date, zone: tzinfo) -> None:
    """A plan's end as the page says it (lane words24): the window's end reasons in the reader's language
    (`end_words.plan_end`), its days and the instant it ended as a person reads them, never ISO alone."""
    if plan.ended_on is None:
        return
    when = ""
    if plan.ended_at is not None:
        at = timezone.localtime(plan.ended_at, zone)
        when = f"{day_words(at.date(), today)}, {at:%H:%M}"
    taken_back = dict(plan.bottles_taken_back or {})
    reason, back = _brought_back(plan.end_reason or "")
    setattr(plan, "end_words", plan_end(reason, today, taken_back, plan.end_kind, plan.ended_on))  # noqa: B010
    said = _("Brought back unopened: %(days)s. Note: %(note)s")
    back_words = [said % {"days": days_words(days, today), "note": note} for days, note in back]
    setattr(plan, "brought_back_words", back_words)  # noqa: B010
    setattr(plan, "ended_on_words", day_words(plan.ended_on, today))  # noqa: B010
    # lane words25: the days of a plan whose bottles were not handed out (`queries.as_handed_out` sets them)
    for name, said in (
        ("not_handed_out_from", "not_handed_out_words"),
        ("hand_out_day_missed", "missed_words"),
    ):
        day = getattr(plan, name, None)
        if isinstance(day, date):
            setattr(plan, said, day_words(day, today))
    setattr(plan, "ended_at_words", when)  # noqa: B010
    setattr(plan, "returned_days_words", days_words(", ".join(plan.returned_days or []), today))  # noqa: B010


@dataclass(frozen=True)
class OrderLine:
    """An order on the medication page: the order, its frequency and where it stands today, in words."""

    order: MedicationOrder
    frequency: str
    standing: str
    current: bool  # in force today or to start later: in view; any other (superseded, stopped) folded


def _order_lines(orders: list[MedicationOrder], today: date) -> list[OrderLine]:
    """Each order with its frequency and where it stands today, in words: the one in force (`order_in_force`,
    the last written that has started: an order written to start later does not govern today, and the one it
    replaces stays in force until then), one written to start later, or its status."""
    by_medication: dict[str, list[MedicationOrder]] = {}
    for o in orders:
        by_medication.setdefault(o.medication, []).append(o)
    in_force = {m: order_in_force(group, today) for m, group in by_medication.items()}
    lines = []
    for o in orders:
        later = [  # the order written after it to start later, still to come
            n
            for n in by_medication[o.medication]
            if n.pk > o.pk and n.deferred and n.starts_on > today and n.status == OrderStatus.ACTIVE
        ]
        current = in_force[o.medication]
        shown = True  # in force today or to start later: in view; any other (superseded, stopped) folded
        if current is not None and current.pk == o.pk:
            standing = (
                _("in force today; the newer order starts on %(day)s")
                % {"day": shown_date(min(n.starts_on for n in later))}
                if later
                else _("in force today")
            )
        elif o.status == OrderStatus.ACTIVE and o.deferred and o.starts_on > today:
            standing = _("written to start on %(day)s: not in force yet") % {"day": shown_date(o.starts_on)}
        else:
            standing, shown = str(o.get_status_display()), False
        lines.append(
            OrderLine(order=o, frequency=words.frequency(o.frequency), standing=standing, current=shown)
        )
    return lines


def _citations(ids: tuple[str, ...]) -> list[str]:
    from keel.core.sources import SOURCES

    return [SOURCES[i].citation for i in ids if i in SOURCES]


@dataclass(frozen=True)
class NaltrexoneShown:
    """XR-naltrexone readiness on the medication page: the verdict's code ("needs": inputs missing), its
    words, its reasons and its sources' citations."""

    code: str
    verdict: str
    reasons: list[str]
    sources: list[str]


def _naltrexone_view(patient: Patient) -> NaltrexoneShown:
    """XR-naltrexone readiness for a first injection, in words."""
    read = readiness.naltrexone_readiness(patient, timezone.now())
    decision = read.decision
    return NaltrexoneShown(
        code=decision.decision if decision else "needs",
        verdict=str(words.NALTREXONE.get(decision.decision, "")) if decision else "",
        reasons=[words.reason_shown(r) for r in decision.reasons] if decision else [],
        sources=words.sources(decision),
    )


def _back(request: AuthenticatedHttpRequest, patient_id: int, act: Callable[[], str]) -> HttpResponse:
    """Run one action (its service call; it returns what to tell on success) and go back to the medication
    page with the outcome as a message. A role the service refuses outright: 403. A refusal the nurse reads
    on the page (a held dose, ending a plan, a plan already ended) or bad input: said on the page."""
    try:
        messages.success(request, act())
    except (services.HeldDoseNotAllowed, services.TakeHomeEndNotAllowed, services.PlanAlreadyEnded) as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": str(exc)})
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    except InvalidInput as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": errors_text(exc)})
    return HttpResponseRedirect(reverse("treatment:medication", args=[patient_id]))


@require_POST
@login_required
def create_order(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """An order from the page's one form: the version of every medication's orders the page showed
    (`order_version_<medication>`) goes with it (review 22n hole 2: the chosen one and the others); an order
    of any of them written or stopped since is the page again (409)."""
    post = request.POST
    medication = post.get("medication", "")
    chosen, others = order_versions_sent(post, medication, chosen=f"order_version_{medication}")

    def act() -> str:
        order = services.prescribe(
            by=request.user,
            patient_id=patient_id,
            medication=medication,
            dose_mg=post.get("dose_mg"),
            note=post.get("note", ""),
            override_reason=post.get("override_reason", ""),
            order_version=chosen,
            other_versions=others,
            other_order=post.get("other_order") or None,  # lane switch39: none sent, 422 when it applies
        )
        today = local_today(order.patient)  # the bottles' days in the take-home plan's style (words34)
        said = [words.reason_shown(days_in_words(w, today)) for w in order.warnings]  # QTc, bottles (22n)
        return " ".join([_("Order saved."), *said])

    try:
        return _back(request, patient_id, act)
    except StaleEdit as exc:
        return _medication_page(request, patient_id, order_error=order_changed_words(exc), status=409)


def _stale_dose(stale: tuple[int, str] | None) -> dict[str, object]:
    """The dose a correction was refused for (it changed since the page was read) and why, for its row."""
    return {"stale_dose_id": stale[0], "stale_dose_error": stale[1]} if stale else {}


@require_POST
@login_required
def amend(request: AuthenticatedHttpRequest, patient_id: int, dose_id: int) -> HttpResponse:
    """A correction or void from a dose's form, with the version of the dose's corrections the page showed
    (`correction_version`; a form without it read none: 0). One written since (lane fix34a, review 34a hole
    1): the page again with the dose as it stands now (409), nothing written."""
    post = request.POST
    told: list[str] = []

    def act() -> str:
        amendment = services.amend_dose(
            by=request.user,
            patient_id=patient_id,
            dose_id=dose_id,
            corrected_mg=post.get("corrected_mg") or None,
            void=post.get("void") == "on",
            reason=post.get("reason", ""),
            correction_version=post.get("correction_version", "").strip() or "0",
        )
        # review 22t hole 4: the take-home bottles the correction took back (who to call), kept back or
        # handed out, in the reader's language; lane words24: a warning of its own under "saved" (not blue
        # text run on after it), its days as a person reads them ("Sun, Dec 6 and Mon, Dec 7")
        today = local_today(amendment.dose.patient)  # the program's day (review 34a question 3)
        told.append(words.reasons_shown(days_in_words(r, today) for r in amendment.warnings))
        return _("Correction saved. The original record is kept.")

    try:
        response = _back(request, patient_id, act)
    except services.DoseCorrectionChanged as exc:
        return _medication_page(request, patient_id, stale_dose=(exc.dose_id, str(exc)), status=409)
    if any(told):
        messages.warning(request, told[0])
    return response


_DAY_KEYS = frozenset({"days", "day", "window"})


def days_in_words(reason: Reason, today: date) -> Reason:
    """A bottle reason with its days ("2026-12-06, 2026-12-07"; a window dose's day "2026-12-05") and its
    bottles ("2026-12-05 80 mg; ...") said as a person reads them: no ISO day in a nurse's words (the
    window-day call-back named its day in ISO until session 29)."""
    params = []
    for key, value in words.bottles_as_runs(reason, today).params:
        if key in _DAY_KEYS and isinstance(value, str):
            value = days_words(value, today)
        params.append((key, value))
    return replace(reason, params=tuple(params))


@require_POST
@login_required
def override(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        kind = post.get("kind", "limit")
        services.add_override(  # a limit or hours override is for one medication (the service names others)
            by=request.user,
            patient_id=patient_id,
            medication="naltrexone_xr" if kind == "interval" else post.get("medication", "methadone"),
            kind=kind,
            max_total_mg=post.get("max_total_mg"),
            reason=post.get("reason", ""),
        )
        return _("Override saved for today.")

    return _back(request, patient_id, act)


@require_POST
@login_required
def take_home(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
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
        return _("Take-home decision: up to %(n)s days.") % {"n": plan.max_supply_days}

    return _back(request, patient_id, act)


@require_POST
@login_required
def end_take_home(request: AuthenticatedHttpRequest, patient_id: int, plan_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        asked = timezone.now()
        plan = services.end_take_home_plan(
            by=request.user,
            patient_id=patient_id,
            plan_id=plan_id,
            reason=post.get("reason", ""),
            from_day=post.get("from_day") or None,
            # typed dates (one per line), or the call-back form's ticked bottles (one value each)
            returned_days=_returned_days(post),
            # lane fix25c (review 25a hole 3): the end form always sends `from_day` (blank: today), so its
            # bottles brought back never turn it into a note on a plan ended meanwhile; a post without it is
            # read as before (the call-back form, now posted to `take_home_brought_back`)
            ending=True if "from_day" in post else None,
        )
        if plan.ended_at is not None and plan.ended_at < asked:  # ended before: bottles brought back
            return _("Bottles brought back recorded. The plan stays in the record with your note.")
        return _("The take-home plan is ended. It stays in the record with your reason.")

    return _back(request, patient_id, act)


def _returned_days(post: QueryDict) -> str | None:
    """The bottles brought back: typed dates (one per line), or the call-back form's ticked bottles."""
    return " ".join(post.getlist("returned_days")).replace(",", " ").strip() or None


@require_POST
@login_required
def take_home_brought_back(request: AuthenticatedHttpRequest, patient_id: int, plan_id: int) -> HttpResponse:
    """Lane fix25c: the call-back list's "Record bottles brought back", its own action (never an end)."""
    post = request.POST

    def act() -> str:
        services.record_bottles_brought_back(
            by=request.user,
            patient_id=patient_id,
            plan_id=plan_id,
            reason=post.get("reason", ""),
            returned_days=_returned_days(post),
        )
        return _("Bottles brought back recorded. The plan stays in the record with your note.")

    return _back(request, patient_id, act)


@require_POST
@login_required
def create_fill(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    post = request.POST

    def act() -> str:
        services.record_fill(
            by=request.user,
            patient_id=patient_id,
            order_id=post.get("order", ""),
            filled_on=post.get("filled_on", ""),
            days_supply=post.get("days_supply", ""),
            source=post.get("source", ""),
        )
        return _("Fill saved.")

    return _back(request, patient_id, act)


@require_POST
@login_required
def void_fill(request: AuthenticatedHttpRequest, patient_id: int, fill_id: int) -> HttpResponse:
    def act() -> str:
        services.void_fill(
            by=request.user, patient_id=patient_id, fill_id=fill_id, reason=request.POST.get("reason", "")
        )
        return _("The fill is voided. The original record is kept.")

    return _back(request, patient_id, act)


@require_POST
@login_required
def qtc(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    raw = request.POST.get("qtc_ms", "")

    def act() -> str:
        services.record_qtc(
            by=request.user, patient_id=patient_id, qtc_ms=int(raw) if ascii_digits(raw) else raw
        )
        return _("QTc saved.")

    return _back(request, patient_id, act)


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
        said = words.reasons_shown(outcome.decision.reasons)
        messages.success(
            request, _("Injection recorded. %(verdict)s. %(why)s") % {"verdict": verdict, "why": said}
        )
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    except services.DoseConflict as exc:  # a second tap, a retry: the message says it was already given
        messages.error(request, str(exc))
    except services.DoseBlocked as exc:
        verdict = words.NALTREXONE.get(exc.decision.decision, "")
        said = words.reasons_shown(exc.decision.reasons)
        messages.error(request, _("Not given: %(verdict)s. %(why)s") % {"verdict": verdict, "why": said})
    except InvalidInput as exc:
        messages.error(request, _("Not saved: %(why)s") % {"why": errors_text(exc)})
    return HttpResponseRedirect(reverse("treatment:medication", args=[patient_id]))


def _not_before_words(plan: TakeHomePlan, today: date, zone: tzinfo) -> list[str]:
    """Lane bottle39: the plan's bottles of today or later handed out after a late dose, each with the
    earliest time she may take it (`TakeHomePlan.bottle_not_before`), in the person's zone."""
    told = plan.bottle_not_before or {}
    return [
        words.not_before_words(day, datetime.fromisoformat(told[iso]).astimezone(zone), today)
        for iso in sorted(told)
        if (day := date.fromisoformat(iso)) >= today and iso in (plan.bottle_mg or {})
    ]
