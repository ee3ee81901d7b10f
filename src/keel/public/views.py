"""The anonymous public pages (issue #4). Nothing is stored: no database access, no session, no logging of
answers. Scored by the same core as everywhere else (`keel.core.instruments.scoring.score`).

How an answer travels (issue #20). The tools' forms are POSTed, so answers never appear in a URL, the
browser's history or a server log line; the answer page comes back in the same response, so nothing is kept
on the server between requests. The tools change nothing on the server, so they need no CSRF token and no
cookie: they work with cookies blocked (a forged POST could only show its sender a result page). The answer
page is sent `Cache-Control: private, no-cache` (`answer_page`): the browser keeps the page it showed, so
Back from the next page shows it again instead of the browser's "Confirm form resubmission" error, and no
shared cache may keep it. Quick exit and a new visit start fresh. The language is in the address
(/en/, /es/), never in a cookie the visitor needs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from keel.assessments.forms import form_context, parse_form
from keel.assessments.meaning import explain
from keel.core.instruments import registry
from keel.core.instruments.model import InvalidAnswers, ItemError
from keel.core.instruments.scoring import score
from keel.core.public import reflection, worried
from keel.core.sources import cite
from keel.public import words


def _page(
    request: HttpRequest, template: str, sources: tuple[str, ...], status: int = 200, **context: Any
) -> HttpResponse:
    response = render(
        request,
        template,
        {"sources": cite(*sources), "public": True, "words": words, **context},
        status=status,
    )
    if request.method == "POST":
        response.keel_browser_may_keep = True  # type: ignore[attr-defined]  # see the module's docstring
    return response


def answer_page(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A public tool: GET shows it, POST answers it in the same response. No CSRF token (it changes nothing
    on the server and must work with cookies blocked)."""
    # Waiver (SECURITY.md "csrf_exempt"): these views write nothing, read no session and set no cookie.
    return csrf_exempt(require_http_methods(["GET", "POST"])(view))


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "public/home.html", ("samhsa-helpline", "lifeline-988"))


CHECK_SOURCES = ("apa-dsm5-tr", "samhsa-tip-63")


@answer_page
def check_my_use(request: HttpRequest) -> HttpResponse:
    """The eleven DSM-5 criteria as plain questions -> severity in plain words and next steps."""
    instrument = registry.get("dsm5-oud", get_language() or "en")
    answers: dict[str, Any] = {}
    errors: Sequence[ItemError | None] = []
    prescribed = request.POST.get("as_prescribed", "") if request.method == "POST" else ""
    prescribed_error = ""
    if request.method == "POST":
        answers, _extras = parse_form(instrument, request.POST, staff=False)
        if prescribed not in ("yes", "no"):
            prescribed_error = str(words.PRESCRIBED_MISSING)
        try:
            # DSM-5: tolerance and withdrawal are not counted for someone who takes opioids only as prescribed
            # under medical care (methadone, buprenorphine, pain medicine): the shared scorer drops them.
            result = score("dsm5-oud", answers, {"medical_supervision": prescribed == "yes"})
        except InvalidAnswers as exc:
            errors = exc.errors
        else:
            if prescribed_error:
                errors = [None]  # show the form again, answers kept, with the one missing answer named
        if not errors:
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
                as_prescribed=prescribed == "yes",
            )
    context = form_context(instrument, answers, {}, [e for e in errors if e is not None], staff=False)
    if prescribed_error:
        context["error_count"] = context.get("error_count", 0) + 1
    return _page(
        request,
        "public/check.html",
        CHECK_SOURCES,
        status=422 if errors or prescribed_error else 200,
        prescribed=prescribed,
        prescribed_error=prescribed_error,
        **context,
    )


@answer_page
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


@answer_page
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


@answer_page
def withdrawal(request: HttpRequest) -> HttpResponse:
    instrument = registry.get("sows", get_language() or "en")
    answers: dict[str, Any] = {}
    errors: list[ItemError] = []
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
        ("samhsa-tip-63", "asam-2020", "cfr-8-2024", "vivitrol-pi", "acog-711", "na-org", "smart-recovery"),
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
            "cdc-hiv-injection",
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
