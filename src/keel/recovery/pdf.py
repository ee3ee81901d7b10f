"""The printable relapse-prevention plan (WeasyPrint; the system's Pango lays out the text). The PDF is
built in memory for the request and never stored."""

from __future__ import annotations

from typing import NoReturn

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from keel.recovery import labels
from keel.recovery.queries import PlanView


def plan_pdf(request: HttpRequest, view: PlanView) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only this page needs

    html = render_to_string(
        "recovery/plan_print.html",
        {"view": view, "sections": labels.plan_sections(view.plan), "printed": timezone.now()},
        request=request,
    )
    # No base_url and a fetcher that refuses everything: the document needs nothing from outside itself.
    return bytes(HTML(string=html, url_fetcher=_no_fetch).write_pdf())


def _no_fetch(url: str, *args: object, **kwargs: object) -> NoReturn:
    raise ValueError(f"the plan PDF loads nothing from outside ({url[:40]})")
