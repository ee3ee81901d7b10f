"""The anonymous public pages (issue #4). Nothing is stored: no database access, no session, no logging of
answers. Forms are POSTed (answers never appear in a URL or the browser history) and scored by the same
core as everywhere else (`keel.core.instruments.scoring.score`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from keel.assessments.forms import form_context, parse_form
from keel.assessments.meaning import explain
from keel.core.instruments import registry
from keel.core.instruments.model import InvalidAnswers
from keel.core.instruments.scoring import score
from keel.core.public import reflection, worried
from keel.core.sources import cite
from keel.public import words


def _page(
    request: HttpRequest, template: str, sources: tuple[str, ...], status: int = 200, **context: Any
) -> HttpResponse:
    return render(request, template, {"sources": cite(*sources), "public": True, **context}, status=status)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "public/home.html", ("samhsa-helpline", "lifeline-988"))


CHECK_SOURCES = ("apa-dsm5-tr", "samhsa-tip-63")


@require_http_methods(["GET", "POST"])
def check_my_use(request: HttpRequest) -> HttpResponse:
    """The eleven DSM-5 criteria as plain questions -> severity in plain words and next steps."""
    instrument = registry.get("dsm5-oud", get_language() or "en")
    answers: dict[str, Any] = {}
    errors: list[Any] = []
    if request.method == "POST":
        answers, _extras = parse_form(instrument, request.POST, staff=False)
        try:
            result = score("dsm5-oud", answers, {})
        except InvalidAnswers as exc:
            errors = exc.errors
        else:
            band = result.band.code if result.band else "none"
            label, meaning = explain("dsm5-oud", band)
            return _page(
                request,
                "public/check_result.html",
                CHECK_SOURCES + tuple(s for s in result.sources if s not in CHECK_SOURCES),
                total=result.total,
                band=band,
                label=label,
                meaning=meaning,
                steps=words.CHECK_STEPS[band],
            )
    return _page(
        request,
        "public/check.html",
        CHECK_SOURCES,
        status=422 if errors else 200,
        **form_context(instrument, answers, {}, errors, staff=False),
    )


@require_http_methods(["GET", "POST"])
def worried_about_someone(request: HttpRequest) -> HttpResponse:
    sources = ("nida-heroin", "samhsa-tip-63", "craft", "nar-anon", "smart-recovery", "keel-issue-4")
    result = None
    if request.method == "POST":
        result = worried.pattern(request.POST.getlist("signs"))
    return _page(
        request,
        "public/worried.html",
        sources,
        signs=[(code, words.SIGNS[code]) for code in worried.SIGNS],
        result=result,
        meaning=words.PATTERNS[result.code] if result else None,
        chosen=set(result.signs) if result else set(),
    )


@require_http_methods(["GET", "POST"])
def why_it_happens(request: HttpRequest) -> HttpResponse:
    result = reflection.reflect(request.POST.getlist("factors")) if request.method == "POST" else None
    return _page(
        request,
        "public/why.html",
        ("nida-dbb", "nida-heroin", "cdc-aces"),
        risks=[(c, words.RISKS[c]) for c in reflection.RISKS],
        protections=[(c, words.PROTECTIONS[c]) for c in reflection.PROTECTIONS],
        result=result,
        chosen=set(result.risks + result.protections) if result else set(),
        summary=words.REFLECTION[result.summary] if result else None,
    )


WITHDRAWAL_SOURCES = ("handelsman-1987", "samhsa-tip-63", "asam-2020")


@require_http_methods(["GET", "POST"])
def withdrawal(request: HttpRequest) -> HttpResponse:
    instrument = registry.get("sows", get_language() or "en")
    answers: dict[str, Any] = {}
    errors: list[Any] = []
    total = None
    if request.method == "POST":
        answers, _extras = parse_form(instrument, request.POST, staff=False)
        try:
            total = score("sows", answers, {}).total
        except InvalidAnswers as exc:
            errors = exc.errors
    return _page(
        request,
        "public/withdrawal.html",
        WITHDRAWAL_SOURCES,
        status=422 if errors else 200,
        total=total,
        no_band=explain("sows", None)[1],
        **form_context(instrument, answers, {}, errors, staff=False),
    )


@require_safe
def treatment(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "public/treatment.html",
        ("samhsa-tip-63", "asam-2020", "cfr-8-2024", "vivitrol-pi", "na-org", "smart-recovery"),
    )


@require_safe
def stay_safe(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "public/safety.html",
        (
            "samhsa-overdose-toolkit",
            "fda-naloxone-otc-2023",
            "cdc-fentanyl-strips",
            "never-use-alone",
            "vivitrol-pi",
        ),
    )


@require_safe
def find_help(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "public/find.html",
        ("samhsa-helpline", "findtreatment", "lifeline-988", "na-org", "nar-anon", "smart-recovery"),
    )
