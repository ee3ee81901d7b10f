"""The director's measures page and its CSV exports: thin adapters over `queries.report`."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from keel.access.http import AuthenticatedHttpRequest
from keel.core.measures.program import Measure
from keel.core.sources import cite
from keel.core.words import gettext_noop as N_
from keel.measures import queries
from keel.patients.flagwords import said_text
from keel.web import field_words
from keel.web.charts import bar_chart
from keel.web.dates import shown_days_in

# The report form's labels by field (the template's own entries): a problem listed above the form is said
# under them (`field_words.labelled`, review 29b H3), never the field's key.
MEASURES_LABELS = {
    "start": N_("From"),
    "end": N_("To"),
    "max_gap": N_("Longest gap allowed (days)"),
}


def _report(
    request: AuthenticatedHttpRequest, export: str | None = None, raw_counts: bool = False
) -> queries.Report | HttpResponse:
    """The report, or the page again with each bad choice named (422)."""
    asked = request.GET.copy()
    asked.pop("counts", None)
    try:
        return queries.report(
            request.user,
            program_slug=asked.get("program") or None,
            raw=asked,
            export=export,
            raw_counts=raw_counts,
        )
    except queries.MeasuresNotAllowed:
        raise PermissionDenied from None
    except queries.MeasuresInvalid as exc:
        return render(
            request,
            "measures/measures.html",
            {
                "errors": field_words.labelled(exc.errors, MEASURES_LABELS),  # review 29b H3
                # each refused field marked beside it, its value shown as typed (lane look31)
                "marks": field_words.by_field(exc.errors),
                "asked": request.GET,
                "message": _("Some choices are not valid."),
            },
            status=422,
        )


def _words(m: Measure, text: str) -> str:
    """A title, definition, version or left-out reason of the core in the reader's language (its catalogue
    template and parameters, `Measure.said`); English when the core gave no template. A day in it is said
    in the reader's words, never ISO (lane words34; the CSV and the API keep ISO)."""
    return shown_days_in(said_text(m.said.get(text), text))


@require_GET
@login_required
def measures(request: AuthenticatedHttpRequest) -> HttpResponse:
    # The program admin's own page shows the counts as they are (small ones too): the read is audited as a
    # raw-counts read. The exports and the API hide small counts unless raw counts are asked for.
    result = _report(request, raw_counts=True)
    if isinstance(result, HttpResponse):
        return result
    cards = []
    for m in result.measures:
        title = _words(m, m.title)
        if m.unit == "percent":
            values = [(p.month, p.percent) for p in m.series]
            chart = bar_chart(values, y_max=100, unit="%", title=title)
        else:
            values = [(p.month, p.median_days) for p in m.series]
            top = max((v for _, v in values if v is not None), default=0.0)
            chart = bar_chart(values, y_max=max(10.0, float(top)), unit=" d", title=title)
        cards.append(
            {
                "m": m,
                "title": title,
                "definition": _words(m, m.definition),
                "version": _words(m, m.version),
                "excluded": [(_words(m, why), n) for why, n in m.excluded.items()],
                "chart": chart,
                "sources": cite(*m.sources),
            }
        )
    asked = {
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "max_gap": result.params.max_gap,
        "program": result.program.slug,
    }
    return render(
        request,
        "measures/measures.html",
        {"report": result, "cards": cards, "asked": asked, "query": urlencode(asked)},
    )


@require_GET
@login_required
def measure_csv(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    raw_counts = request.GET.get("counts") == "raw"  # the admin asks for unsuppressed counts: audited
    result = _report(request, export=code, raw_counts=raw_counts)
    if isinstance(result, HttpResponse):
        return result
    out = io.StringIO()
    rows = queries.csv_rows(result.measure(code), as_of=result.as_of, raw_counts=raw_counts)
    csv.writer(out, lineterminator="\n").writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"{result.program.slug}-{code}-{result.start.isoformat()}-{result.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
