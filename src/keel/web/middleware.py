"""Request-wide middleware: a request id and audit context for every request, and no caching of pages."""

from __future__ import annotations

import logging
import os
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from functools import lru_cache, partial
from types import TracebackType
from typing import cast

from csp.constants import HEADER as CSP_HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.exceptions import RequestDataTooBig
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.http.request import split_domain_port, validate_host
from django.http.response import ResponseHeaders
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import trans_real
from django.utils.translation.trans_real import language_code_prefix_re

from keel.audit import context
from keel.core.rules.inputs import loads_json
from keel.web.client_address import client_ip

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_API_CHANNEL = ("/api/", "/fhir/")

Header = tuple[str, tuple[str, str]]  # (the lowercased name, (the name, the value)) as a response stores it


@lru_cache(maxsize=128)
def header(name: str, value: str) -> Header:
    """What `response.headers[name] = value` stores, worked out once per name and value by Django's own
    `ResponseHeaders` (its checks: an ASCII name, a latin-1 or MIME-encoded value, no newline in either).

    Issue #21: each header write through `response[name] = value` or `setdefault` is about ten Python calls
    (the case-insensitive lookup, the two charset checks); Keel's middleware wrote six of them on every
    response. Written straight into the store (`default_header`), a header whose value was worked out once
    costs a dict lookup; the header sent is the same bytes (tests/web/test_response_headers_pinned.py)."""
    headers = ResponseHeaders({})
    headers[name] = value
    ((key, pair),) = headers._store.items()
    return key, pair


def default_header(response: HttpResponseBase, found: Header) -> None:
    """`response.headers.setdefault(name, value)` for a header from `header()`: left alone if present."""
    store = response.headers._store
    if found[0] not in store:
        store[found[0]] = found[1]


@lru_cache(maxsize=256)
def _allowed_host(host: str, debug: bool, allowed_hosts: tuple[str, ...]) -> bool:
    """Whether `HttpRequest.get_host()` accepts this Host header under these settings (its own test:
    a valid domain that ALLOWED_HOSTS names; DEBUG with none set allows localhost's names)."""
    if debug and not allowed_hosts:
        allowed_hosts = (".localhost", "127.0.0.1", "[::1]")
    domain, _port = split_domain_port(host)
    return bool(domain and validate_host(domain, list(allowed_hosts)))


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's CommonMiddleware (refused user agents, the Host check, PREPEND_WWW, the slash redirect of a
    404, Content-Length), without MiddlewareMixin's per-request dispatch, and Content-Length written as a
    plain header (issue #21). The Host header is checked on every request, Django's answer for each Host
    remembered (tests/web/test_response_headers_pinned.py: a Host not allowed is still refused)."""

    def process_request(self, request: HttpRequest) -> HttpResponsePermanentRedirect | None:
        if settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS:
            return super().process_request(request)
        # What is left of Django's process_request: `request.get_host()`, which raises DisallowedHost for a
        # Host that ALLOWED_HOSTS does not allow; its answer remembered per Host and settings (issue #21).
        host = request._get_raw_host()  # type: ignore[attr-defined]  # what get_host() checks
        if not _allowed_host(host, settings.DEBUG, tuple(settings.ALLOWED_HOSTS)):
            request.get_host()  # raises, as Django does, with Django's message
        return None

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        response = self.process_request(request) or cast(HttpResponse, self.get_response(request))
        if response.status_code == 404 or response.streaming:
            return self.process_response(request, response)
        store = response.headers._store
        if "content-length" not in store:
            # a length is digits: nothing for Django's charset checks to refuse
            store["content-length"] = ("Content-Length", str(len(response.content)))
        return response


class RequestContextMiddleware:
    """Give each request an id (echoed as X-Request-ID) and bind who/where for audit rows."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The proxy's id when it sends a well-formed one (so its log and Keel's join up), else a new one.
        # (META, not request.headers: that builds a dict of every header on each request.)
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        # os.urandom is what secrets.token_hex(8) reads, without its three calls.
        request_id = given if given and REQUEST_ID.fullmatch(given) else os.urandom(8).hex()
        request.request_id = request_id  # type: ignore[attr-defined]
        channel = "api" if request.path.startswith(_API_CHANNEL) else "web"
        ctx = context.RequestContext(request_id, client_ip(request) or None, channel)
        token = context.enter(ctx)  # context.bind's set and reset, without a generator per request
        try:
            response = self.get_response(request)
        finally:
            context.leave(token)
        # The id is ASCII letters, digits, dots, dashes and underscores (REQUEST_ID) or hex: written as
        # `response[...] = request_id` writes it, without its charset checks (issue #21).
        response.headers._store["x-request-id"] = ("X-Request-ID", request_id)
        return response


_MAY_KEEP = header("Cache-Control", "private, no-cache")
_NO_STORE = header("Cache-Control", "no-store")
_NO_CACHE = header("Pragma", "no-cache")
_NONE = ("", None)


class NoStoreMiddleware:
    """Pages and API answers may carry patient data: never let a browser or proxy keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            store = response.headers._store  # the headers written as `response[...] = ...` would (issue #21)
            if getattr(response, "keel_browser_may_keep", False):
                # An anonymous answer page (keel.public): the browser keeps what it showed, so Back shows it
                # again instead of "Confirm form resubmission"; no shared cache keeps it; reused only after
                # asking the server again. Nothing about it is stored on the server.
                store[_MAY_KEEP[0]] = _MAY_KEEP[1]
            elif store.get("cache-control", _NONE)[1] != "private, no-store":  # a patient's photo says it
                store[_NO_STORE[0]] = _NO_STORE[1]
                store[_NO_CACHE[0]] = _NO_CACHE[1]
            else:
                store[_NO_CACHE[0]] = _NO_CACHE[1]
        return response


class RequestIdLogFilter(logging.Filter):
    """Put the request id (never a user or patient) on every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


def _first_nul(value: object, path: str = "") -> str | None:
    """The dotted path of the first text holding a NUL character in a decoded JSON value, or None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        items: list[tuple[str, object]] = [(str(k), v) for k, v in value.items()]
        for key, _ in items:
            if "\x00" in key:
                return f"{path}.{key}".lstrip(".") or "body"
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return None
    for key, item in items:
        found = _first_nul(item, f"{path}.{key}".lstrip("."))
        if found:
            return found
    return None


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
API_PREFIXES = ("/api/",)  # FHIR (/fhir/R4/) is read-only
# The one API route whose body is a file (a patient's photo, issue #18): multipart, parsed by its own view.
MULTIPART_API = re.compile(r"^/api/v1/patients/\d+/photo$")


def api_error(message: str, field: str, reason: str, status: int = 422) -> JsonResponse:
    return JsonResponse({"message": message, "errors": [{"field": field, "reason": reason}]}, status=status)


def _empty_form(request: HttpRequest) -> bool:
    """Whether a form-typed body carries nothing (a bodiless POST: `curl -X POST`, a test client's default):
    an action that takes no body (a patient revoking a consent) must not be refused for it."""
    from django.http.multipartparser import MultiPartParserError

    try:
        if not request.body.strip():
            return True
        return not request.POST and not request.FILES  # parsed from the read body, which stays readable
    except (MultiPartParserError, ValueError):
        return False


class RejectNulMiddleware:
    """Refuse text holding a NUL character (U+0000) in the query, a form or a JSON body, before any view.

    No one types one; it comes from broken or hostile clients. PostgreSQL cannot store it in text (the write
    would fail with a server error) and SQLite would keep a value other tools cut short, so Keel refuses it on
    both databases with the field named: 422 in the API's error shape, or a short page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self._checked(request)
        except RequestDataTooBig:
            # Lane fix33f (review 33d H6): Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE from its
            # Content-Length, before reading it (or as soon as a read passes the limit); the API and FHIR
            # answer it in their own error shape, never Django's HTML page. A page keeps Django's 400.
            if not request.path.startswith(_API_CHANNEL):
                raise
            limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes"
            reason = f"is larger than Keel accepts ({limit} at most)"
            if request.path.startswith("/fhir/"):
                from keel.interop.rest.outcomes import outcome

                return outcome(413, "too-costly", f"body {reason}", "body")
            return api_error("The request body is too large.", "body", reason, status=413)

    def _checked(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith(API_PREFIXES)
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and (request.content_type or "") in FORM_TYPES
            and not MULTIPART_API.match(request.path)
            and not _empty_form(request)
        ):
            # Every API body is JSON: a form or multipart body (which Django would parse, or fail to, before
            # any view) is refused here in the API's error shape.
            return api_error(
                "Some fields are not valid.", "body", "must be JSON, sent as Content-Type: application/json"
            )
        field = self._field_with_nul(request)
        if field is None:
            return self.get_response(request)
        reason = "contains a NUL character (U+0000), which Keel does not accept"
        if request.path.startswith("/api/"):
            body = {"message": "Some fields are not valid.", "errors": [{"field": field, "reason": reason}]}
            return JsonResponse(body, status=422)
        if request.path.startswith("/fhir/"):  # FHIR answers every error as an OperationOutcome
            from keel.interop.rest.outcomes import outcome

            return outcome(422, "invalid", f"{field} {reason}", field)
        return render(request, "web/422.html", {"field": field}, status=422)

    @staticmethod
    def _field_with_nul(request: HttpRequest) -> str | None:
        # No query string, nothing to parse (request.GET would build an empty QueryDict on every request).
        query = request.META.get("QUERY_STRING")
        for key, values in request.GET.lists() if query else ():
            if "\x00" in key or any("\x00" in v for v in values):
                return key
        content_type = request.content_type or ""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        if content_type in FORM_TYPES:  # uploaded files: not text
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    return key
            return None
        raw = request.body
        if b"\x00" not in raw and b"\\u0000" not in raw.lower():
            return None
        try:
            return _first_nul(loads_json(raw))
        except ValueError:
            return None  # not JSON: the view's own check names the body


class PhiSafeFormatter(logging.Formatter):
    """Log tracebacks without exception messages: a message can carry what someone typed or a database row
    ("Key (record_number)=(RR-1001) already exists", "expected a number but got '…'"). The frames (file,
    line, function, the source line) and the exception's type stay, which is what finding the bug needs."""

    def formatException(
        self, ei: tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
    ) -> str:
        exc = ei[1]
        if exc is None:
            return super().formatException(ei)
        chain: list[BaseException] = []
        while exc is not None and all(exc is not seen for seen in chain):
            chain.append(exc)
            exc = exc.__cause__ or exc.__context__
        parts = []
        for item in reversed(chain):  # the first cause first, as Python prints a chain
            frames = "".join(traceback.format_list(traceback.extract_tb(item.__traceback__)))
            kind = f"{type(item).__module__}.{type(item).__qualname__}"
            parts.append(f"Traceback (most recent call last):\n{frames}{kind}: (message not logged)")
        return "\n\nwhich led to:\n\n".join(parts)


_CSP_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class CachedCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the policy header built once instead of on every response (issue #21:
    building it was the one middleware cost that stood out on /healthz, bench/middleware_cost.py).

    Keel's policy is fixed by settings: no nonce, no per-view decorator, no report-only policy. Whenever a
    response could differ from that (a nonce was used, a view changed the policy, a report-only policy is set,
    the settings object changed, as in a test's override), this defers to django-csp untouched."""

    _cached: tuple[object, Header | None] | None = None  # the policy object, and its header (None: empty)
    # (the policy object, whether its header applies as is): no report-only policy, no excluded prefixes, not
    # DEBUG. Worked out once per policy object rather than on every response (issue #21: the report-only
    # lookup misses Django's settings cache, two exceptions per response); a changed setting clears it.
    _plain: tuple[object, bool] | None = None
    # What `request.csp_nonce` becomes once the header is written: django-csp builds a new lazy object for
    # each response; this one is shared, as it can hold nothing (asking it for a nonce raises: never filled).
    _NONCE_AFTER_RESPONSE = CheckableLazyObject(CSPMiddleware._csp_nonce_post_response)

    @staticmethod
    def _applies_as_is(policy: Mapping[str, object] | None) -> bool:
        return bool(
            policy
            and not getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            and not policy.get("EXCLUDE_URL_PREFIXES")
            and not settings.DEBUG
        )

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        """MiddlewareMixin's dispatch, without asking for the two methods on every request (issue #21)."""
        if self.async_mode:
            return self.__acall__(request)
        self.process_request(request)
        return self.process_response(request, cast(HttpResponseBase, self.get_response(request)))

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        plain = CachedCSPMiddleware._plain
        if plain is None or plain[0] is not policy:
            plain = CachedCSPMiddleware._plain = (policy, self._applies_as_is(policy))
        if not plain[1] or getattr(request, "_csp_nonce", None) is not None:
            return super().process_response(request, response)
        for name in _CSP_OVERRIDES:  # a loop, not any() over a generator: no frame per name (issue #21)
            if getattr(response, name, None) is not None:
                return super().process_response(request, response)
        cached = self._cached
        if cached is None or cached[0] is not policy:
            parts = self.get_policy_parts(request=request, response=response)
            built = build_policy(**asdict(parts))
            cached = self._cached = (policy, header(CSP_HEADER, built) if built else None)
        found = cached[1]
        if found and getattr(response, "_csp_exempt", False) is False:
            default_header(response, found)  # written only when the answer has none
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = self._NONCE_AFTER_RESPONSE  # type: ignore[attr-defined]
        return response


@receiver(setting_changed)
def _forget_csp_check(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        CachedCSPMiddleware._plain = None


@lru_cache(maxsize=64)
def _path_language(prefix: str) -> str | None:
    """Django's `get_language_from_path` for a path's first segment, remembered. Django's own cache keeps only
    the answers that are languages: for every other first segment (`healthz`, `api`, `patients`) it looks the
    segment up again and raises and catches a LookupError, three times per request (issue #21)."""
    return translation.get_language_from_path(f"/{prefix}/")


@lru_cache(maxsize=256)
def _client_language(cookie: str | None, accept: str) -> str:
    """Django's `get_language_from_request` (the path not consulted) for one language cookie and
    Accept-Language header: a function of those two and the settings, so remembered (bounded; the
    settings' changes clear it)."""
    stand_in = HttpRequest()
    if cookie is not None:
        stand_in.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    if accept:
        stand_in.META["HTTP_ACCEPT_LANGUAGE"] = accept
    return translation.get_language_from_request(stand_in, check_path=False)


def _language_from_path(path: str) -> str | None:
    match = language_code_prefix_re.match(path)
    return _path_language(match[1]) if match else None


@receiver(setting_changed)
def _forget_languages(*, setting: str, **kwargs: object) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME", "LOCALE_PATHS"}:
        _path_language.cache_clear()
        _client_language.cache_clear()


_VARY_LANGUAGE = header("Vary", "Accept-Language")


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware deciding the same language with the same headers, with each request's
    language worked out once: the path's language prefix once per request (Django asks three times) and the
    cookie and Accept-Language answer once per distinct pair (tests/web/test_locale_middleware.py holds it to
    Django's on every combination)."""

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        """MiddlewareMixin's dispatch, without asking for the two methods on every request (issue #21)."""
        if self.async_mode:
            return self.__acall__(request)
        self.process_request(request)
        return self.process_response(request, cast(HttpResponseBase, self.get_response(request)))

    def process_request(self, request: HttpRequest) -> None:
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
        language_from_path = _language_from_path(request.path_info)
        if i18n_patterns_used and language_from_path is not None:  # get_language_from_request's first answer
            language = language_from_path
        else:
            cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = _client_language(cookie, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        if not language_from_path and i18n_patterns_used and not prefixed_default_language:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        # What translation.get_language() answers right after activate(language) (the activated catalog's
        # to_language(), which is to_language(language)), without reading the thread's active catalog back.
        request.LANGUAGE_CODE = trans_real.to_language(language)  # type: ignore[attr-defined]
        request._keel_path_language = (request.path_info, language_from_path)  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        seen = getattr(request, "_keel_path_language", None)
        if seen is None or seen[0] != request.path_info or response.status_code == 404:
            return super().process_response(request, response)
        # Django's process_response, its 404 redirect aside (handled above by Django's own code).
        language = translation.get_language()
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        i18n_patterns_used, _ = is_language_prefix_patterns_used(urlconf)
        store = response.headers._store  # headers as `response.headers[...]` writes them (issue #21)
        if not (i18n_patterns_used and seen[1]):
            if "vary" in store:
                patch_vary_headers(response, ("Accept-Language",))
            else:  # what patch_vary_headers writes when there is no Vary yet, without parsing one
                store[_VARY_LANGUAGE[0]] = _VARY_LANGUAGE[1]
        if "content-language" not in store:
            found = header("Content-Language", language)
            store[found[0]] = found[1]
        return response


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's MessageMiddleware with the message storage built when a view or template first uses it.

    Django builds the storage (its class imported by name, a cookie and a session storage) on every request,
    and asks it to save on every response. A storage nobody touched holds nothing to save: its `update` does
    nothing (no queued message, not `used`, nothing `added_new`), so skipping it answers the same. A request
    that adds or reads a message builds the same storage, from the same request, and saves it as Django does.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(partial(default_storage, request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:
            return response  # never built, so nothing was added or read
        return super().process_response(request, response)


# Lane fixpriv39 (review rev39b holes 2 and 3, the integrator's decision): every staff page of people's
# records lives under /patients/ (the patient list, registration, a record and each of its pages).
STAFF_PAGES = "patients/"
# Her own identity photo (the image alone, not a care-team view of her record): still hers to fetch
# (review 18's held test: a patient reads her own photo, 200; anyone else's stays a 404 by the view's scope).
OWN_PAGES_UNDER_STAFF = frozenset({"patients:photo"})


class StaffPagesMiddleware:
    """A staff page refused to her own account (a patient's or self-guided), asked of the policy before the
    view runs (`policy.refuse_staff_view_to_own_account`, the API's one definition: ownapi39): her own record
    or a list, a plain 403 page saying her own record is at /me/, audited once; another person's record, the
    404 of any record out of scope. Decided by the route, so a new page under /patients/ is covered when it
    is added; her /me/ pages and staff are not asked (staff: no query)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[object, ...],
        kwargs: Mapping[str, object],
    ) -> HttpResponse | None:
        from keel.access import policy

        match, user = request.resolver_match, getattr(request, "user", None)
        if match is None or not match.route.startswith(STAFF_PAGES) or user is None:
            return None
        if match.view_name in OWN_PAGES_UNDER_STAFF and request.method in ("GET", "HEAD"):
            return None
        if not user.is_authenticated:
            return None  # the page's own sign-in redirect
        patient_id = kwargs.get("patient_id")
        try:
            policy.refuse_staff_view_to_own_account(
                user, match.view_name, None if patient_id is None else str(patient_id), page=True
            )
        except policy.ActionNotAllowed as refused:
            return render(request, "web/403.html", {"said": str(refused)}, status=403)
        return None
