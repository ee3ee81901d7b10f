"""The dosing window: today's list, and a dose recorded from its row (htmx, or POST and redirect)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keel.access import policy
from keel.access.errors import ClinicalNotAllowed
from keel.access.http import AuthenticatedHttpRequest, request_user
from keel.accounts.models import User
from keel.core.digits import ascii_digits
from keel.core.rules.inputs import InvalidInput
from keel.treatment import queries, services, words
from keel.treatment.queries import window_notes
from keel.treatment.services.doses.bottles import BOTTLE_REASONS
from keel.treatment.views.common import holds, said
from keel.treatment.views.dosing_row import DoseResult, Verdict, row_html
from keel.treatment.views.medication import days_in_words

RESULT_KEY = "keel_dosing_result"  # the last verdict, shown on its row after the no-JS redirect (session: DB)

# What a row's form sends (dosing_row.row_html and treatment/_dosing_row.html); anything else is refused.
FORM_FIELDS = frozenset(
    {"csrfmiddlewaretoken", "sequence", "medication", "amount_mg", "sedated", "bottle_returned"}
)
# A ticked checkbox sends "on"; an unticked one sends nothing.
TICKED = "on"


def _matches(display_name: str, record_number: str, q: str, areas: frozenset[policy.Area]) -> bool:
    """The find field: part of the name, or the whole record number where the caller may see it."""
    q = q.strip().casefold()
    if q in display_name.casefold():
        return True
    return policy.field_visible(areas, "record_number") and q == record_number.casefold()


FIND_AREAS = frozenset({policy.Area.IDENTITY, policy.Area.CLINICAL})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def dosing(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The list; POST: narrowed by the find field, sent in the body (with its CSRF token) so that a name or a
    record number never enters the address, the browser's history or a proxy's log (review 21p)."""
    return _dosing_page(request, request.session.pop(RESULT_KEY, None))


def _find(request: AuthenticatedHttpRequest) -> str:
    """The find field as posted (a GET's query string is not read: names stay out of addresses)."""
    return request.POST.get("q", "").strip() if request.method == "POST" else ""


# The event every swapped row answer sends (`HX-Trigger`): the page's count element listens for it and fetches
# itself again from `due_count`. No script of ours: htmx's own attributes (CSP: script-src 'self').
DOSED_EVENT = "keel-dosed"


def _listed(request: AuthenticatedHttpRequest) -> tuple[list[queries.DosingRow], str]:
    """The window's rows as the page lists them (narrowed by the find field), and that field."""
    try:
        rows = queries.dosing_list(request.user)
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    q = _find(request)
    if q:
        rows = [r for r in rows if _matches(r.patient.display_name, r.patient.record_number, q, FIND_AREAS)]
    return rows, q


def _still_due(rows: list[queries.DosingRow]) -> int:
    """The "N people still due today" of the whole page: its rows that are due. The count fetched after a dose
    (`due_count`) is the same number read by the database (`queries.still_due`; tests/treatment/
    test_due_count_sql.py holds the two equal)."""
    return sum(1 for r in rows if r.due)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def due_count(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The page's count alone (`_due_count.html`, the words inside `#due-count`), fetched by the page after
    each row's htmx answer: the row is swapped in alone, and the count must follow it. The page's rows that
    are due, counted by the database (`queries.still_due`: two reads whatever the list's length, issue #21)
    with the list's audit row (the count is told from everyone's records), narrowed by the same find field."""
    try:
        people = queries.still_due(request.user)
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    q = _find(request)  # the page's find field, posted by its htmx call (never in the URL)
    if q:
        people = [p for p in people if _matches(p.display_name, p.record_number, q, FIND_AREAS)]
    return render(request, "treatment/_due_count.html", {"due": sum(p.due for p in people), "q": q})


def _dosing_page(
    request: AuthenticatedHttpRequest, result: DoseResult | None, status: int = 200
) -> HttpResponse:
    rows, q = _listed(request)
    return render(
        request,
        "treatment/dosing.html",
        {
            "rows": rows,
            "due": _still_due(rows),
            "q": q,
            "result": result,
            "result_for": result["patient"] if result else None,
            "result_medication": result["medication"] if result else None,
            "result_alone": result if result and result["medication"] is None else None,
            "windows": window_notes(request.user, timezone.now()),
        },
        status=status,
    )


def form_problem(post: QueryDict) -> str | None:
    """Why a row's form cannot be read as it stands, in words; None when it can. Only the row's own fields;
    each checkbox ticked ("on") or absent (a `sedated=true` from a script must never be read as "not
    sedated" and a dose recorded as given); a slot with digits, 0-9 only (never "²" or "٣"); a slot with no
    digit at all ("x", empty) is read as no slot, as before (review 13: the service takes the next one)."""
    unknown = sorted(set(post) - FORM_FIELDS)
    if unknown:
        return _(
            "Not recorded: this form sent a field the dosing window does not use (%(fields)s). "
            "Nothing was given."
        ) % {"fields": ", ".join(unknown)}
    for name in ("sedated", "bottle_returned"):
        values = post.getlist(name)
        if values and values != [TICKED]:
            return _(
                "Not recorded: a checkbox of this form was sent with a value it does not have (%(field)s). "
                "Nothing was given. Reload the list and record the dose on the person's row."
            ) % {"field": name}
    for name in ("sequence", "medication", "amount_mg"):
        if len(post.getlist(name)) > 1:
            return _(
                "Not recorded: this form sent %(field)s twice. Nothing was given. "
                "Reload the list and record the dose on the person's row."
            ) % {"field": name}
    sequence = post.get("sequence", "")
    if any(c.isdigit() for c in sequence) and not ascii_digits(sequence):  # "²", "٣", "1²": not 0-9
        return _(
            "Not recorded: the dose's place in the day was not a whole number in the digits 0-9. "
            "Nothing was given. Reload the list and record the dose on the person's row."
        )
    return None


def _dose_result(
    request: AuthenticatedHttpRequest,
    user: User,
    patient_id: int,
    medication: str,
    then: Callable[[queries.RecordedDose], None] | None = None,
) -> Verdict:
    """Record the dose; the verdict in plain words and its kind: given, held or blocked. `then`: as
    `record_dose`'s (called only when a dose is saved). `user`: the caller (`request_user`)."""
    raw_sequence = request.POST.get("sequence", "")
    try:
        outcome = services.record_dose(
            by=user,
            patient_id=patient_id,
            sequence=int(raw_sequence) if ascii_digits(raw_sequence) else None,
            amount_mg=request.POST.get("amount_mg") or None,
            sedated=holds(request.POST, "sedated"),
            medication=medication,
            bottle_returned=request.POST.get("bottle_returned") == "on",
            then=then,
        )
    except services.DoseBlocked as exc:
        why = words.reasons_shown(exc.decision.reasons)
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
        return {"kind": "blocked", "text": _refused_input(request.POST, exc)}
    return _saved_verdict(outcome)


def _refused_input(post: QueryDict, exc: InvalidInput) -> str:
    """What the nurse reads when the service refused the row's input: a wrong medication, no amount, a
    take-home day's bottle not returned, or the fields' own problems."""
    if any(e.field == "medication" for e in exc.errors):
        return _(
            "Not recorded: this dose was sent for a medication the window does not give (methadone or "
            "buprenorphine). Nothing was given. Reload the list and record it on the person's row."
        )
    if not post.get("amount_mg", "").strip() and any(e.field == "amount_mg" for e in exc.errors):
        return _("Not given: type the amount given (mg). It is never filled in for you.")
    if any(e.field == "bottle_returned" for e in exc.errors):
        return _(
            "Not given: today is a take-home day. Give a dose at the window only when today's bottle "
            "is returned unopened, and tick that box."
        )
    return _("Not recorded: %(why)s") % {"why": said(exc)}


def _saved_verdict(outcome: services.DoseOutcome) -> Verdict:
    """A saved dose in words: held for a prescriber, or given (with the take-home bottles that went home
    with it, or that must not)."""
    dose = outcome.dose
    if dose.status == "held":
        return {
            "kind": "held",
            "text": _("Dose held for %(name)s. A prescriber has been asked to assess.")
            % {"name": dose.patient.display_name},
        }
    given = _("%(mg)s mg given to %(name)s.") % {
        "mg": f"{dose.amount_mg.normalize():f}",
        "name": dose.patient.display_name,
    }
    # session 22: the take-home bottles that went home with the dose (their mg), or that must not
    bottles = [r for r in outcome.decision.reasons if r.template in BOTTLE_REASONS]
    # runs of days, in the take-home plan's day style ("Mon, Dec 7"), as the medication page says them
    handed = words.reasons_shown(days_in_words(r, dose.local_date) for r in bottles)
    text = f"{given} {handed}" if bottles else given
    # lane bottle39: tomorrow's bottle after a late dose says the earliest time she may take it
    # (read only when the dose's verdict speaks of bottles: a dose without any runs no statement for it)
    later = queries.bottles_not_before(dose.patient, dose.local_date + timedelta(days=1)) if bottles else []
    told = " ".join(words.not_before_words(day, at, dose.local_date) for day, at in later[:1])
    return {"kind": "given", "text": f"{text} {told}" if told else text}


@require_POST
@login_required
def record_dose(request: AuthenticatedHttpRequest, patient_id: int) -> HttpResponse:
    """Enter on a row: with htmx, the row comes back with the verdict on it (the list is not reloaded);
    without JavaScript, POST then redirect to the list, the verdict shown on the same row. Each row sends its
    medication; a post without one is methadone (an old form), but a medication the window does not give
    ("Buprenorphine", an injection) is refused by the service, nothing recorded, and said at the top of the
    list (there is no row of that medication to show it on)."""
    user = request_user(request)  # the User, not its lazy wrappers: the service reads it often
    problem = (
        form_problem(request.POST) if policy.can_record_dose(user) else None
    )  # others: the service's 403
    if problem is not None:
        return _refused(request, patient_id, problem)
    medication = request.POST.get("medication", "methadone")
    known = medication in queries.WINDOW_MEDICATIONS
    swap = known and request.headers.get("HX-Request") == "true"
    swapped: list[queries.DosingRow | None] = []

    def then(recorded: queries.RecordedDose) -> None:
        # The row to swap in, told from what the dose read and the dose (its list audit row written in the
        # dose's transaction on SQLite); None: read again below.
        swapped.append(queries.row_after_dose(user, recorded))

    try:
        verdict = _dose_result(request, user, patient_id, medication, then if swap else None)
    except ClinicalNotAllowed:
        raise PermissionDenied from None
    result = DoseResult(
        kind=verdict["kind"],
        text=verdict["text"],
        patient=patient_id,
        medication=medication if known else None,
    )
    if not known:  # no row of it: the whole list, the refusal at its top
        request.session[RESULT_KEY] = result
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("treatment:dosing")
            return response
        return HttpResponseRedirect(reverse("treatment:dosing") + f"#p{patient_id}")
    if swap:
        row = swapped[0] if swapped else None
        if row is None:  # not told from the dose (none saved, or it could not be): read it
            row = queries.dosing_row(user, patient_id=patient_id, medication=medication)
        if row is None:  # no longer on the list (discharged, order stopped): the whole page then
            request.session[RESULT_KEY] = result
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("treatment:dosing")
            return response
        # `treatment/_dosing_row.html` rendered, written out in Python (dosing_row.row_html: the same bytes)
        response = HttpResponse(row_html(request, row, result, True))
        response["HX-Trigger"] = DOSED_EVENT  # the page's count fetches itself again (due_count)
        return response
    request.session[RESULT_KEY] = result
    anchor = f"#p{patient_id}" + ("" if medication == "methadone" else f"-{medication}")
    return HttpResponseRedirect(reverse("treatment:dosing") + anchor)


def _refused(request: AuthenticatedHttpRequest, patient_id: int, text: str) -> HttpResponse:
    """A form the window cannot read: 422, nothing recorded, the words at the top of the list. With htmx
    (which swaps no 4xx answer) the list is loaded again and shows them."""
    result = DoseResult(kind="blocked", text=text, patient=patient_id, medication=None)
    if request.headers.get("HX-Request") == "true":
        request.session[RESULT_KEY] = result
        response = HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
        response["HX-Redirect"] = reverse("treatment:dosing")
        return response
    return _dosing_page(request, result, status=422)
