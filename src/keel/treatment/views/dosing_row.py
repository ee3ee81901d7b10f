"""The dosing window's row swapped in after a dose (htmx), written out in Python (issue #21).

`treatment/_dosing_row.html` (with `patients/_id_photo.html`) stays the row's definition: the list renders
it for every row. After each dose the page answers with one row, and rendering that template cost about a
third of the page's Python calls (a lazy translation per `{% translate %}`, every number through the
locale's number format, a node per `if`). `row_html` writes the same bytes with the same parts Django's
template uses (gettext / ngettext of the same message ids, `localize`, the `floatformat` and `date`
filters, `reverse` as `{% url %}` calls it, `conditional_escape`, the request's CSRF token), so the answer
is byte for byte the template's (the CSRF token aside: a fresh mask each time).
tests/treatment/test_dosing_row_html.py holds it to the template over the rows of the dose-context histories,
both medications, every status and verdict, photos, flags, take-home plans, names that need escaping, and
both languages, on both databases. A change to the template fails that test until this follows it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.translation import trans_real

from keel.treatment.queries import DosingRow

_BOTTLE = "today's bottle returned unopened"


def _number(value: Any) -> str:
    """`{{ value }}` of a number: localized, then escaped (render_value_in_context). A whole number without
    the thousands separator is its digits (what `numberformat.format` answers then)."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return str(conditional_escape(str(localize(value))))


def _text(value: Any) -> str:
    """`{{ value }}` of a text: escaped."""
    return str(conditional_escape(value))


def _translation() -> Any:
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


def _photo(t: Any, request: HttpRequest, patient: Any, has_photo: Any, name: str) -> str:
    """`patients/_id_photo.html` with size=48 (its last line break included)."""
    if has_photo:
        alt = t.gettext("Photo of %(name)s") % {"name": _text(name)}
        src = _text(_url(request, "patients:photo", patient.id))
        return (
            f'<img src="{src}" alt="{alt}" width="48" height="48" loading="lazy" decoding="async" '
            'class="id-photo id-photo-48">\n'
        )
    return f'<span class="id-photo id-photo-48 no-photo">{t.gettext("No photo")}</span>\n'


def row_html(request: HttpRequest, r: DosingRow, result: dict[str, Any] | None, focus: bool) -> str:
    """`render(request, "treatment/_dosing_row.html", {"r": r, "result": result, "focus": focus})`'s
    content, as text."""
    t = _translation()
    patient, today, pid = r.patient, r.today, _number(r.patient.id)
    medication = _text(r.medication)
    suffix = "" if r.medication == "methadone" else f"-{medication}"
    name = _text(patient.display_name)
    kind = _text(result["kind"]) if result else ""
    has_photo = getattr(patient, "has_photo", "")  # set by the row's read ("" as the template: unset)
    out = [
        f'<tr id="p{pid}{suffix}" class="{_text(r.status)}{" result-" + kind if result else ""}">\n'
        f'    <td data-label="{t.gettext("Person")}">'
        f"{_photo(t, request, patient, has_photo, patient.preferred_name or patient.given_name)}"
        f'<a href="{_text(_url(request, "treatment:medication", patient.id))}" tabindex="-1">{name}</a>\n'
        "      "
    ]
    if r.medication == "buprenorphine":
        out.append(f'<span class="tag">{t.gettext("buprenorphine")}</span>')
    out.append("\n      ")
    if r.open_flags:
        n = r.open_flags
        words = t.ngettext("%(n)s flag", "%(n)s flags", n) % {"n": _number(n)}
        out.append(f'<span class="tag flagged">{words}</span>')
    out.append("\n      ")
    if today.missed_days_in_a_row:
        n = today.missed_days_in_a_row
        words = t.ngettext("missed %(n)s day", "missed %(n)s days", n) % {"n": _number(n)}
        out.append(f'<span class="tag">{words}</span>')
    last = today.last_dose
    plan = r.take_home
    out.append(
        "</td>\n"
        f'    <td data-label="{t.gettext("Ordered")}">{floatformat(r.order.dose_mg, "-2")} mg</td>\n'
        f'    <td data-label="{t.gettext("Day")}">{_number(today.treatment_day)}</td>\n'
        f'    <td data-label="{t.gettext("Last dose")}">'
        f"{_text(date_filter(last.local_date, 'Y-m-d')) if last else '—'}</td>\n"
        f'    <td data-label="{t.gettext("Take-homes")}">'
        f"{t.gettext('up to %(n)s days') % {'n': _number(plan.max_supply_days)} if plan else '—'}</td>\n"
        f'    <td data-label="{t.gettext("Today")}">\n'
        "      "
    )
    if result:
        mark = "✓ " if result["kind"] == "given" else "⏸ " if result["kind"] == "held" else "✗ "
        out.append(
            f'<p class="verdict {kind}" role="status"><strong>{mark}{_text(result["text"])}</strong></p>'
        )
    out.append("\n      ")
    if r.status == "given":
        mg = floatformat(today.given_today_mg, "-2")
        out.append(f"<strong>{t.gettext('given %(mg)s mg') % {'mg': _text(mg)}}</strong>\n      ")
    elif r.status == "held":
        out.append(f'<strong class="error">{t.gettext("held: prescriber to assess")}</strong>\n      ')
    elif r.status == "take_home":
        out.append(t.gettext("take-home day"))
    dose_url = _text(_url(request, "treatment:record_dose", patient.id))
    label = (
        t.gettext("Buprenorphine dose for %(name)s (mg)")
        if r.medication == "buprenorphine"
        else t.gettext("Dose for %(name)s (mg)")
    ) % {"name": name}
    token = _text(get_token(request))
    out.append(
        "\n"
        f'      <form method="post" action="{dose_url}" class="dose-form" hx-post="{dose_url}" '
        'hx-target="closest tr" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">\n'
        f'        <input type="hidden" name="sequence" value="{_number(today.next_sequence)}">\n'
        f'        <input type="hidden" name="medication" value="{medication}">\n'
        f'        <label for="amt{pid}{suffix}" class="visually-hidden">{label}</label>\n'
        f'        <input type="number" id="amt{pid}{suffix}" name="amount_mg" '
        f'placeholder="{floatformat(r.order.dose_mg, "-2u")}" step="0.01" min="0.01" inputmode="decimal" '
        f'class="mg"{" autofocus" if focus else ""}>\n'
        '        <label class="choice inline-choice"><input type="checkbox" name="sedated" tabindex="-1"> '
        f"{t.gettext('sedated or intoxicated: hold')}</label>\n"
        "        "
    )
    if r.status == "take_home" or r.bottle_held:
        out.append(
            '<label class="choice inline-choice"><input type="checkbox" name="bottle_returned" '
            f'tabindex="-1"> {t.gettext(_BOTTLE)}</label>'
        )
    button = t.gettext("Record another dose") if r.status == "given" else t.gettext("Record dose")
    primary = ' class="primary"' if r.due else ""
    out.append(
        "\n"
        f'        <button type="submit" tabindex="-1"{primary}>{button}</button>\n'
        "      </form>\n"
        "    </td>\n"
        "  </tr>\n"
    )
    return "".join(out)
