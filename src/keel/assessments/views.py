"""Pages: fill an instrument (patient or clinician), see the result, the flowsheet, COWS at the bedside."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keel.access import policy
from keel.access.http import AuthenticatedHttpRequest
from keel.access.policy import SELF_REPORT_INSTRUMENTS, Area
from keel.assessments import queries, services
from keel.assessments.errors import AlreadyEnteredInError, AssessmentInvalid, CorrectionChanged
from keel.assessments.forms import _form_context, _parse
from keel.assessments.meaning import (
    SCREEN_NOTE,
    band_name,
    diagnosis_code,
    explain,
    name,
    specifiers,
)
from keel.assessments.models import Assessment
from keel.audit import services as audit
from keel.audit.models import Action
from keel.core import wall_time
from keel.core.digits import ascii_digits
from keel.core.instruments import interpretation, registry
from keel.core.instruments.model import Instrument, InvalidAnswers, ItemError, ResultDict
from keel.core.instruments.registry import UnknownInstrument
from keel.core.rules.inputs import FieldError
from keel.core.sources import SOURCES
from keel.patients.flagwords import said_text
from keel.patients.models import Patient, zone_of
from keel.sharing.carried import sender_named
from keel.web.charts import daily_chart, trend
from keel.web.dates import shown_date, shown_datetime, shown_days_in
from keel.web.field_words import on_page as field_said


def _instrument_or_404(code: str) -> Instrument:
    try:
        return registry.get(code, get_language() or "en")
    except UnknownInstrument:
        raise Http404 from None


def _submit(
    request: AuthenticatedHttpRequest,
    *,
    patient_id: int | None,
    instrument: Instrument,
    staff: bool,
    filled_at: datetime | None,
    prefilled: datetime | None = None,
) -> tuple[Assessment | None, dict[str, Any]]:
    answers, extras = _parse(instrument, request.POST, staff)
    token = request.POST.get("form_token", "")
    try:
        assessment, _scored = services.submit_assessment(
            by=request.user,
            patient_id=patient_id,
            instrument=instrument.code,
            answers=answers,
            extras=extras,
            filled_at=filled_at,
            form_token=token,
            prefilled=prefilled,
        )
    except InvalidAnswers as exc:
        said = [_(e.reason) for e in exc.errors if e.item == "form_token"]  # a used token: a new one
        context = _form_context(instrument, answers, extras, exc.errors, staff)
        context = {**context, "form_token": _form_token() if said else token, "token_error": " ".join(said)}
        return None, context
    return assessment, {}


def _form_token() -> str:
    """A new one-time token for an instrument's form (review 36h hole 3): the same form sent twice files one
    result (`services.submit_assessment`)."""
    return uuid.uuid4().hex


# --- Clinician pages --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def fill_for_patient(request: AuthenticatedHttpRequest, patient_id: int, code: str) -> HttpResponse:
    instrument = _instrument_or_404(code)
    if request.method == "POST":
        assessment, context = _submit(
            request, patient_id=patient_id, instrument=instrument, staff=True, filled_at=None
        )
        if assessment is not None:
            return HttpResponseRedirect(reverse("assessments:result", args=[patient_id, assessment.pk]))
        # refused: the form comes back with the record, its read audited as the GET's is (review 21p)
        patient = policy.get_patient_or_404(
            request.user, patient_id, area=Area.CLINICAL, target_type="assessment_form"
        )
        return render(request, "assessments/fill.html", {**context, "patient": patient}, status=422)
    patient = services.patient_for_recording(request.user, patient_id, code)
    # the scoped patient: the getter's keel_off_team marks the row (not re-asked at a later clock, review 18b)
    audit.record(
        actor=request.user,
        action=Action.READ,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type="assessment_form",
        through_emergency=getattr(patient, "keel_off_team", None),
    )
    context = _form_context(instrument, {}, {}, [], staff=True)
    return render(
        request, "assessments/fill.html", {**context, "patient": patient, "form_token": _form_token()}
    )


@require_safe
@login_required
def result_for_patient(
    request: AuthenticatedHttpRequest, patient_id: int, assessment_id: int
) -> HttpResponse:
    assessment = queries.get_assessment(request.user, patient_id=patient_id, assessment_id=assessment_id)
    if policy.withholds_struck_content(request.user, assessment.patient):  # her own page, by her id (fix38n)
        return render(request, "assessments/result.html", _result_context(assessment, staff=False))
    return _result_page(request, assessment)


class CorrectionForm(TypedDict, total=False):
    """The correction's form on the result page: its questions (`_form_context`), as sent back if refused."""

    questions: dict[str, object]
    error: str
    reason: str
    reason_error: str  # the reason's problem, beside its field (lane words34)
    kind: str  # "error" (entered in error) or "answers"


def _result_page(
    request: AuthenticatedHttpRequest,
    assessment: Assessment,
    *,
    fix: CorrectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The result for the care team; with the correction's form for a role that may correct it while it
    stands (`fix`: the form as sent back, its errors)."""
    context = _result_context(assessment, staff=True)
    may_fix = policy.can_correct_assessment(request.user) and not assessment.entered_in_error
    if may_fix and not policy.through_emergency_access(request.user, assessment.patient):
        instrument = context["instrument"]
        form = fix or {
            "questions": _form_context(instrument, assessment.answers, assessment.extras, [], True)
        }
        context = {**context, **form["questions"], "instrument": instrument, "fix": form, "can_correct": True}
        if assessment.self_filed:  # her own answers: struck, never rewritten (lane fix38d)
            context["self_filed_note"] = _(services.SELF_FILED)
    return render(request, "assessments/result.html", context, status=status)


@require_POST
@login_required
def correct(request: AuthenticatedHttpRequest, patient_id: int, assessment_id: int) -> HttpResponse:
    """Review 33c hole 4: mark a result entered in error, or give its corrected answers, with a reason (the
    original kept); back to the result, or its page again with what to fix (422; 409 once struck)."""
    post = request.POST
    struck = post.get("kind") == "error"
    try:  # 404 out of scope; 403 for a role that may not correct (audited)
        target = services.assessment_to_correct(request.user, patient_id, assessment_id)
    except services.NotAllowed:
        raise PermissionDenied from None
    instrument = _instrument_or_404(target.instrument)
    answers, extras = _parse(instrument, post, True) if not struck else (None, None)
    errors: list[ItemError] = []
    said, marks, status = "", dict[str, str](), 422
    try:
        services.correct_assessment(
            by=request.user,
            patient_id=patient_id,
            assessment_id=assessment_id,
            entered_in_error=struck,
            answers=answers,
            extras=extras,
            reason=post.get("reason", ""),
            read_version=_read_version(post.get("correction_version", "0")),
        )
    except InvalidAnswers as exc:
        errors = exc.errors
    except AssessmentInvalid as exc:
        said, marks = _not_saved(exc.errors)
    except AlreadyEnteredInError as exc:
        said, status = str(exc), 409
    except CorrectionChanged as exc:  # the form again with the answers now in force (review 33e hole 2)
        said, status, answers, extras = str(exc), 409, None, None
    else:
        messages.success(request, _("Correction saved. The original result is kept."))
        return HttpResponseRedirect(reverse("assessments:result", args=[patient_id, assessment_id]))
    assessment = queries.get_assessment(request.user, patient_id=patient_id, assessment_id=assessment_id)
    shown = answers if answers is not None else assessment.answers
    fix = CorrectionForm(
        questions=_form_context(instrument, shown, extras or assessment.extras, errors, True),
        error=said or _("Not saved: fix the answers marked below."),
        reason=post.get("reason", ""),
        reason_error=marks.get("reason", ""),
        kind="error" if struck else "answers",
    )
    return _result_page(request, assessment, fix=fix, status=status)


def _not_saved(errors: list[FieldError]) -> tuple[str, dict[str, str]]:
    """A refused correction's words (lane words34): the reason's problem marked beside its field, the form's
    line at the top saying to fix what is marked; any other problem said at the top."""
    marks = {e.field: field_said(e) for e in errors if e.field == "reason"}
    others = " ".join(field_said(e) for e in errors if e.field != "reason")
    return others or _("Not saved: fix what is marked below."), marks


def _read_version(text: str) -> int:
    """The correction version the page showed (its hidden `correction_version`; a form without it read none:
    0). Not a whole number: 422 naming it."""
    text = text.strip() or "0"
    if not ascii_digits(text):
        raise AssessmentInvalid([FieldError("correction_version", services.NOT_A_VERSION)]).body_alone()
    return int(text)


@require_safe
@login_required
def flowsheet(request: AuthenticatedHttpRequest, patient_id: int, code: str) -> HttpResponse:
    instrument = _instrument_or_404(code)
    patient, qs = queries.list_assessments(request.user, patient_id=patient_id, instrument=code)
    rows, stand = _listed(request, patient, qs)
    # under emergency access only the point-of-care measures are recorded: no other is offered (review 19d)
    emergency = policy.through_emergency_access(request.user, patient)  # the scoped patient carries it
    return render(
        request,
        "assessments/flowsheet.html",
        {
            "emergency": emergency,
            "zone": zone_of(patient),  # the program's clock (lane words33)
            "can_add": not emergency or code in services.EMERGENCY_INSTRUMENTS,
            "patient": patient,
            "instrument": instrument,
            "rows": rows,
            **_chart(instrument, stand, zone_of(patient)),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def cows_bedside(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Repeated, time-stamped COWS scoring during withdrawal, with the series always in view."""
    instrument = _instrument_or_404("cows")  # its texts in the page's language, as every other form
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        # The time typed at the bedside is the program's local time (as on the intake), whatever the server's.
        scoped = policy.get_patient_or_404(request.user, patient_id, area=Area.CLINICAL, audit_success=False)
        filled_at, time_error = _parse_time(request.POST.get("filled_at", ""), zone_of(scoped))
        # the time the page pre-filled: sent untouched, never a late entry (re-attack 36l, lane fix36o)
        prefilled, _bad = _parse_time(request.POST.get("prefilled_at", ""), zone_of(scoped))
        if time_error:
            answers, extras = _parse(instrument, request.POST, True)
            context = _form_context(instrument, answers, extras, [ItemError("filled_at", time_error)], True)
            context["form_token"] = request.POST.get("form_token", "")
            status = 422
        else:
            sent = {"filled_at": filled_at, "prefilled": prefilled}
            assessment, context = _submit(
                request, patient_id=patient_id, instrument=instrument, staff=True, **sent
            )
            if assessment is not None:
                return HttpResponseRedirect(
                    reverse("assessments:cows_bedside", args=[patient_id]) + "#series"
                )
            status = 422
    patient, qs = queries.list_assessments(request.user, patient_id=patient_id, instrument="cows")
    rows, stand = _listed(request, patient, qs)
    if not context:
        context = {**_form_context(instrument, {}, {}, [], staff=True), "form_token": _form_token()}
    zone = zone_of(patient)
    return render(
        request,
        "assessments/cows_bedside.html",
        {
            **context,
            "zone": zone,
            "patient": patient,
            "rows": rows,
            **_bedside_times(request, zone, refused=status == 422),
            **_chart(instrument, stand, zone_of(patient)),
        },
        status=status,
    )


def _bedside_times(request: AuthenticatedHttpRequest, zone: ZoneInfo, *, refused: bool) -> dict[str, str]:
    """The time of scoring the bedside form shows (`now`: this minute, or what was typed when refused) and the
    time it pre-filled (`prefilled_at`, sent back hidden: untouched, never a late entry; lane fix36o)."""
    now = timezone.localtime(timezone=zone).strftime("%Y-%m-%dT%H:%M")
    if refused and request.POST.get("filled_at"):
        return {"now": request.POST["filled_at"], "prefilled_at": request.POST.get("prefilled_at", "")[:16]}
    return {"now": now, "prefilled_at": now}


def _parse_time(raw: str, zone: ZoneInfo) -> tuple[datetime | None, str]:
    """The bedside time typed (the program's clock). On the night the clocks go back, a time they show twice
    is read the earlier way (`keel.core.wall_time`: an older score, which must be fresh and after the last
    use); a time they skip is refused."""
    if not raw:
        return None, ""
    try:
        parsed = datetime.strptime(raw, "%Y-%m-%dT%H:%M")
    except ValueError:
        return None, _("not a valid date and time")
    try:
        return wall_time.instant(parsed, zone, ambiguous=wall_time.EARLIER), ""
    except wall_time.WallTimeMissing:
        return None, _(
            "This time does not exist on the clock that day (the clocks went forward). Check the time."
        )


def _listed(
    request: AuthenticatedHttpRequest, patient: Patient, rows: list[Assessment]
) -> tuple[list[Assessment], list[Assessment]]:
    """The rows a list of results shows, and those that stand, which its chart draws (review 33c hole 4).
    The care team's list keeps a result struck as entered in error, marked, its score legible (review 39c
    hole 1: an error stays in the record, struck through); her own view leaves it out, as it always has
    (`policy.reads_her_own_record`: a struck result shows her none of its answers or score)."""
    stand = [a for a in rows if not a.entered_in_error]
    shown = stand if policy.withholds_struck_content(request.user, patient) else rows
    return _labelled(shown), stand


def _labelled(rows: list[Assessment]) -> list[Assessment]:
    for a in rows:
        flags = a.result.get("flags") if isinstance(a.result, dict) else ()
        a.band_label = band_name(a.instrument, a.band or None, flags)  # type: ignore[attr-defined]
    return rows


COMPOSITE_NAMES = {
    "use": gettext_lazy("Use"),
    "risk": gettext_lazy("Risk factors"),
    "protective": gettext_lazy("Protective factors"),
    "satisfaction": gettext_lazy("Satisfaction with progress"),
}
BAM_SCALES = (("use", 12), ("risk", 24), ("protective", 24))  # BAM composites' ranges (reference 4)


def _bam_chart(rows: list[Assessment], zone: tzinfo) -> dict[str, Any]:
    """The BAM has no total: its Use, Risk and Protective composites over time, one line each, on the 0-24
    scale of the widest (Use runs 0-12). Each day is the program's (`zone`), not the server's (words33)."""
    # `rows` come oldest first (time, then entry order): the last point is the latest, and two BAMs on one
    # date keep that order instead of being compared as dicts.
    points = [
        (timezone.localtime(a.filled_at, zone).date(), a.result.get("composites") or {})
        for a in rows
        if isinstance(a.result, dict)
    ]
    points = [(d, c) for d, c in points if all(isinstance(c.get(k), int) for k, _top in BAM_SCALES)]
    if not points:
        return {"bam_chart": None}
    labels = {"use": _("Use"), "risk": _("Risk factors"), "protective": _("Protective factors")}
    lines = [(str(labels[k]), f"bam-{k}", [(d, int(c[k])) for d, c in points], 24) for k, _top in BAM_SCALES]
    last = points[-1][1]
    summary = ngettext(
        "%(n)s result from %(first)s to %(last)s; latest Use %(use)s, Risk %(risk)s, "
        "Protective %(protective)s.",
        "%(n)s results from %(first)s to %(last)s; latest Use %(use)s, Risk %(risk)s, "
        "Protective %(protective)s.",
        len(points),
    ) % {
        "n": len(points),
        "first": shown_date(points[0][0]),
        "last": shown_date(points[-1][0]),
        "use": last["use"],
        "risk": last["risk"],
        "protective": last["protective"],
    }
    start = points[0][0] if len(points) > 1 else points[0][0] - timedelta(days=15)
    end = points[-1][0] if len(points) > 1 else points[0][0] + timedelta(days=15)
    return {
        "bam_chart": daily_chart(start, end, lines, [], summary=summary),
        "bam_title": _("BAM composites by month: Use, Risk factors, Protective factors"),
    }


def _chart(instrument: Instrument, rows: list[Assessment], zone: tzinfo) -> dict[str, Any]:
    """The instrument's chart, its times on the program's clock (`zone`: `zone_of`), never the server's."""
    if instrument.code == "bam":
        return _bam_chart(rows, zone)
    series = [(timezone.localtime(a.filled_at, zone), a.total) for a in rows if a.total is not None]
    title = _("%(instrument)s totals over time") % {"instrument": name(instrument.code)}
    y_max = interpretation.top_of_scale(instrument)
    return {"chart": trend(series, y_max=y_max, title=title), "chart_title": title}


# --- The patient's own pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecentResult:
    """One of the person's recent results on their instruments page: its id, the instrument's name, when
    it was filled and its total (None: the instrument has none)."""

    pk: int
    name: str
    filled_at: datetime
    total: int | None


@require_safe
@login_required
def my_instruments(request: AuthenticatedHttpRequest) -> HttpResponse:
    patient = policy.own_patient_or_404(request.user, target_type="assessment_list")
    mine = queries.recent(patient, 20)
    catalog = [
        registry.get(code, get_language() or "en")
        for code in registry.codes()
        if code in SELF_REPORT_INSTRUMENTS
    ]
    recent = [
        RecentResult(pk=a.pk, name=name(a.instrument), filled_at=a.filled_at, total=a.total) for a in mine
    ]
    context = {"catalog": catalog, "recent": recent, "zone": zone_of(patient)}  # her program's clock (36h H1)
    return render(request, "assessments/my_instruments.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def fill_mine(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    instrument = _instrument_or_404(code)
    if code not in SELF_REPORT_INSTRUMENTS:
        raise Http404
    if request.method == "POST":
        assessment, context = _submit(
            request, patient_id=None, instrument=instrument, staff=False, filled_at=None
        )
        if assessment is not None:
            return HttpResponseRedirect(reverse("assessments:my_result", args=[assessment.pk]))
        return render(request, "assessments/fill.html", context, status=422)
    services.patient_for_recording(request.user, None, code)
    context = _form_context(instrument, {}, {}, [], staff=False)
    return render(request, "assessments/fill.html", {**context, "form_token": _form_token()})


@require_safe
@login_required
def my_result(request: AuthenticatedHttpRequest, assessment_id: int) -> HttpResponse:
    assessment = queries.get_assessment(request.user, patient_id=None, assessment_id=assessment_id)
    return render(request, "assessments/result.html", _result_context(assessment, staff=False))


def _reasons(result: ResultDict) -> list[str]:
    """The result's reasons in the reader's language where the core kept them as templates (`said`); a row
    stored before its reasons were (a PHQ-9's "PHQ-9 total 9 of 27: ...", until lane words35) is read back
    through the catalogue's template its English was written from (`said_text`), else as written."""
    said = list(result.get("said") or [])
    return [
        shown_days_in(said_text(said[i] if i < len(said) else None, str(r)))  # its days in words (words34)
        for i, r in enumerate(result["reasons"])
    ]


def _result_context(assessment: Assessment, *, staff: bool) -> dict[str, Any]:
    result = assessment.result
    band = (result.get("band") or {}).get("code") or assessment.band or None
    own = not staff and getattr(assessment.filled_by, "role", "") == "patient"
    label, meaning = explain(assessment.instrument, band, self_check=own)
    return {
        "diagnosis_code": diagnosis_code(band) if assessment.instrument == "dsm5-oud" else "",
        "specifiers": specifiers(result.get("flags")),
        "composites": [(COMPOSITE_NAMES.get(k, k), v) for k, v in (result.get("composites") or {}).items()],
        "assessment": assessment,
        "instrument": registry.get(assessment.instrument, get_language() or "en"),
        "label": label,
        "meaning": meaning,
        # "Not a diagnosis, talk it over with your care team" is for the person; a clinician's DSM-5 is one.
        "screen_note": "" if staff or (assessment.instrument == "dsm5-oud" and not own) else SCREEN_NOTE,
        "result": result,
        "reasons": _reasons(result),
        "cited": [SOURCES[i] for i in result.get("sources") or () if i in SOURCES],
        "crisis": "suicide_risk" in result["flags"],
        "staff": staff,
        "imported": _imported(assessment) if staff else None,
        "zone": zone_of(assessment.patient),  # her program's clock, never the server's (review 36h hole 1)
    }


@dataclass(frozen=True)
class ImportedFrom:
    """Where a result that came from another system came from, in plain words (the result page)."""

    system: str
    their_id: str
    authored: str  # in the reader's words (a date-only one stays a date)
    matched: str  # how it was matched to this person
    total_note: str  # the other system's total where it differs from the answers' sum; else ""


def _answered_on(assessment: Assessment, as_sent: str) -> str:
    """Lane fix33f (review 33d H8): when it was answered, in the reader's words on the program's clock (the
    day and time Keel filed, `shown_datetime`); a date sent alone stays that date. The sender's text, in its
    own offset, is FHIR's (the Provenance), never the page's."""
    if len(as_sent) == 10:
        try:
            return shown_date(date.fromisoformat(as_sent))
        except ValueError:
            pass
    return shown_datetime(timezone.localtime(assessment.filled_at, zone_of(assessment.patient)))


def _imported(assessment: Assessment) -> ImportedFrom | None:
    """Where a result that came from another system came from (its FHIR Provenance), in plain words; the
    sender and its id for it only where `sharing.carried.sender_named` says so (review 33b H2: never through
    emergency access, the FHIR Provenance's one rule), else "another system"."""
    found = getattr(assessment, "imported_from", None)
    if found is None:
        return None
    named = sender_named(assessment.patient)
    system = found.sender_system or _("a system that did not name itself")
    matched = {
        "identifier": _("the record number"),
        "name and birth date": _("name and birth date"),
        "keel reference": _("Keel's own link to this record"),
    }.get(found.matched_by, found.matched_by)
    total_note = ""
    if found.sender_total is not None and found.sender_total != assessment.total:
        total_note = _(
            "The other system's total was %(theirs)s; the answers add up to %(ours)s, the score shown here."
        ) % {"theirs": found.sender_total, "ours": assessment.total}
    return ImportedFrom(
        system=system if named else _("another system"),
        their_id=found.sender_id_as_sent if named else "",
        authored=_answered_on(assessment, found.authored),
        matched=matched,
        total_note=total_note,
    )
