"""The dosing window's row swapped in after a dose (htmx), written out in Python (issue #21).

`treatment/_dosing_row.html` (with `patients/_id_photo.html`) stays the row's definition: the list renders
it for every row. After each dose the page answers with one row, and rendering that template cost about a
third of the page's Python calls (a lazy translation per `{% translate %}`, every number through the
locale's number format, a node per `if`). `row_html` writes the same bytes with the same parts Django's
template uses (gettext / ngettext of the same message ids, `localize`, the `floatformat` and `shown_date`
filters, `reverse` as `{% url %}` calls it, `conditional_escape`, the request's CSRF token), so the answer
is byte for byte the template's (the CSRF token aside: a fresh mask each time). A function writes each part
of the row as the template lays it out (`_person_cell` with its `_tags`, `_order_cells`, `_today_cell` with
the `_verdict`, `_today_status` and `_dose_form`), from one `_Row` of what they share (issue #17).
tests/treatment/test_dosing_row_html.py holds it to the template over the rows of the dose-context histories,
both medications, every status and verdict, photos, flags, take-home plans, names that need escaping, and
both languages, on both databases. A change to the template fails that test until this follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, TypedDict

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import trans_real

from keel.patients.models import Patient
from keel.treatment.queries import DosingRow
from keel.web.templatetags.keel_dates import shown_date

_BOTTLE = "today's bottle returned unopened"


class Verdict(TypedDict):
    """The answer to a dose just recorded: its kind and its words."""

    kind: Literal["given", "held", "blocked"]
    text: str


class DoseResult(Verdict):
    """A verdict as the list shows it (and the session keeps it, as JSON, for the redirect without
    JavaScript): on the row of `patient` and `medication`; None: no row of it, the words at the top."""

    patient: int
    medication: str | None


def _number(value: int) -> str:
    """`{{ value }}` of a number: localized, then escaped (render_value_in_context). A whole number without
    the thousands separator is its digits (what `numberformat.format` answers then)."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return str(conditional_escape(str(localize(value))))


def _text(value: str) -> str:
    """`{{ value }}` of a text: escaped."""
    return str(conditional_escape(value))


class _Translation(Protocol):
    """What the row asks of the active translation (a catalogue, or `django.utils.translation` itself)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


def _translation() -> _Translation:
    """The active translation, asked once per row: its `gettext` and `ngettext` answer what
    `django.utils.translation`'s do for a message id that is not empty, has no carriage return and is not
    safe text (the row's ids). `{% translate "message" %}` is its `gettext`, not escaped (a literal in a
    template is safe text, and so is its translation); `{% blocktranslate %}` escapes only its values."""
    if settings.USE_I18N:
        return trans_real.catalog()
    return translation  # trans_null's gettext and ngettext


def _url(request: HttpRequest, name: str, patient_id: int) -> str:
    """`{% url name patient_id %}`: with the request's current app, as the tag reverses it."""
    current_app = getattr(request, "current_app", None)
    if current_app is None:
        current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
    return reverse(name, args=[patient_id], current_app=current_app)


def _photo(t: _Translation, request: HttpRequest, patient: Patient, has_photo: object, name: str) -> str:
    """`patients/_id_photo.html` with size=48 (its last line break included)."""
    if has_photo:
        alt = t.gettext("Photo of %(name)s") % {"name": _text(name)}
        src = _text(_url(request, "patients:photo", patient.id))
        return (
            f'<img src="{src}" alt="{alt}" width="48" height="48" loading="lazy" decoding="async" '
            'class="id-photo id-photo-48">\n'
        )
    return f'<span class="id-photo id-photo-48 no-photo">{t.gettext("No photo")}</span>\n'


@dataclass(frozen=True, slots=True)
class _Row:
    """What every part of the row is written from: the active translation (`_translation`), the request,
    the row read, the answer to the dose just recorded (None: none) and whether the dose field takes the
    focus; and, as the template writes them, the person's id, the id's medication suffix (none for
    methadone), the medication, the person's name and the answer's kind."""

    t: _Translation
    request: HttpRequest
    r: DosingRow
    result: DoseResult | None
    focus: bool
    pid: str
    suffix: str
    medication: str
    name: str
    kind: str


def row_html(request: HttpRequest, r: DosingRow, result: DoseResult | None, focus: bool) -> str:
    """`render(request, "treatment/_dosing_row.html", {"r": r, "result": result, "focus": focus})`'s
    content, as text: the row's opening tag, the person's cell, the order's cells and today's cell."""
    medication = _text(r.medication)
    row = _Row(
        t=_translation(),
        request=request,
        r=r,
        result=result,
        focus=focus,
        pid=_number(r.patient.id),
        suffix="" if r.medication == "methadone" else f"-{medication}",
        medication=medication,
        name=_text(r.patient.display_name),
        kind=_text(result["kind"]) if result else "",
    )
    classes = _text(r.status) + (" result-" + row.kind if result else "")
    return (
        f'<tr id="p{row.pid}{row.suffix}" class="{classes}">\n'
        f"{_person_cell(row)}{_order_cells(row)}{_today_cell(row)}"
        "  </tr>\n"
    )


def _person_cell(row: _Row) -> str:
    """The person's cell: their photo, their name linking to their medication page, and their tags."""
    t, request, patient = row.t, row.request, row.r.patient
    has_photo = getattr(patient, "has_photo", "")  # set by the row's read ("" as the template: unset)
    return (
        f'    <td data-label="{t.gettext("Person")}">'
        f"{_photo(t, request, patient, has_photo, patient.preferred_name or patient.given_name)}"
        f'<a href="{_text(_url(request, "treatment:medication", patient.id))}" tabindex="-1">{row.name}</a>\n'
        f"{_tags(row)}</td>\n"
    )


def _tags(row: _Row) -> str:
    """The person's tags, each in its place whether shown or not (the template's lines): buprenorphine, the
    open flags, the observed days missed in a row."""
    t, r = row.t, row.r
    medication = flags = missed = ""
    if r.medication == "buprenorphine":
        medication = f'<span class="tag">{t.gettext("buprenorphine")}</span>'
    if r.open_flags:
        n = r.open_flags
        words = t.ngettext("%(n)s flag", "%(n)s flags", n) % {"n": _number(n)}
        flags = f'<span class="tag flagged">{words}</span>'
    if r.today.missed_days_in_a_row:
        n = r.today.missed_days_in_a_row
        words = t.ngettext("missed %(n)s day", "missed %(n)s days", n) % {"n": _number(n)}
        missed = f'<span class="tag">{words}</span>'
    return f"      {medication}\n      {flags}\n      {missed}"


def _order_cells(row: _Row) -> str:
    """The order's dose, the day in treatment (`DosingRow.day_in_treatment`, the program's count), the last
    dose's day and the take-home days allowed."""
    t, r = row.t, row.r
    last, plan = r.today.last_dose, r.take_home
    return (
        f'    <td data-label="{t.gettext("Ordered")}">{floatformat(r.order.dose_mg, "-2")} mg</td>\n'
        f'    <td data-label="{t.gettext("Day")}">{_number(r.day_in_treatment)}</td>\n'
        f'    <td data-label="{t.gettext("Last dose")}">'
        f"{_text(shown_date(last.local_date)) if last else '—'}</td>\n"
        f'    <td data-label="{t.gettext("Take-homes")}">'
        f"{t.gettext('up to %(n)s days') % {'n': _number(plan.max_supply_days)} if plan else '—'}</td>\n"
    )


def _today_cell(row: _Row) -> str:
    """Today's cell: the answer to the dose just recorded, what today holds and the dose form."""
    return (
        f'    <td data-label="{row.t.gettext("Today")}">\n'
        f"      {_verdict(row)}\n"
        f"      {_today_status(row)}\n"
        f"{_dose_form(row)}"
        "    </td>\n"
    )


def _verdict(row: _Row) -> str:
    """The answer to the dose just recorded (given, held or refused, in its words); none without one."""
    if not row.result:
        return ""
    kind = row.result["kind"]
    mark = "✓ " if kind == "given" else "⏸ " if kind == "held" else "✗ "
    text = _text(row.result["text"])
    return f'<p class="verdict {row.kind}" role="status"><strong>{mark}{text}</strong></p>'


def _today_status(row: _Row) -> str:
    """What today holds: the amount given, a hold for the prescriber, or a take-home day (the given and
    held lines end with the template's next line's indent)."""
    t, r = row.t, row.r
    if r.status == "given":
        mg = floatformat(r.today.given_today_mg, "-2")
        return f"<strong>{t.gettext('given %(mg)s mg') % {'mg': _text(mg)}}</strong>\n      "
    if r.status == "held":
        return f'<strong class="error">{t.gettext("held: prescriber to assess")}</strong>\n      '
    if r.status == "take_home":
        return str(t.gettext("take-home day"))
    return ""


def _dose_form(row: _Row) -> str:
    """The form that records a dose (htmx swaps the row with the answer): the CSRF token, the slot, the
    medication, the amount (the order's dose as its placeholder), a hold, a bottle brought back (on a
    take-home day or with a bottle held) and the button."""
    t, r, request = row.t, row.r, row.request
    dose_url = _text(_url(request, "treatment:record_dose", r.patient.id))
    label = (
        t.gettext("Buprenorphine dose for %(name)s (mg)")
        if r.medication == "buprenorphine"
        else t.gettext("Dose for %(name)s (mg)")
    ) % {"name": row.name}
    token = _text(get_token(request))
    bottle = ""
    if r.status == "take_home" or r.bottle_held:
        bottle = (
            '<label class="choice inline-choice"><input type="checkbox" name="bottle_returned" '
            f'tabindex="-1"> {t.gettext(_BOTTLE)}</label>'
        )
    button = t.gettext("Record another dose") if r.status == "given" else t.gettext("Record dose")
    primary = ' class="primary"' if r.due else ""
    return (
        f'      <form method="post" action="{dose_url}" class="dose-form" hx-post="{dose_url}" '
        'hx-target="closest tr" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">\n'
        f'        <input type="hidden" name="sequence" value="{_number(r.today.next_sequence)}">\n'
        f'        <input type="hidden" name="medication" value="{row.medication}">\n'
        f'        <label for="amt{row.pid}{row.suffix}" class="visually-hidden">{label}</label>\n'
        f'        <input type="number" id="amt{row.pid}{row.suffix}" name="amount_mg" '
        f'placeholder="{floatformat(r.order.dose_mg, "-2u")}" step="0.01" min="0.01" inputmode="decimal" '
        f'class="mg"{" autofocus" if row.focus else ""}>\n'
        '        <label class="choice inline-choice"><input type="checkbox" name="sedated" tabindex="-1"> '
        f"{t.gettext('sedated or intoxicated: hold')}</label>\n"
        f"        {bottle}\n"
        f'        <button type="submit" tabindex="-1"{primary}>{button}</button>\n'
        "      </form>\n"
    )
