"""Structured logs (issue #19): one JSON object per line, with the request id, and never health information.

What a line may carry is fixed here: time, level, logger, the message (Keel's own messages name ids and
counts, never a person), the request id, and for the one line per request `keel.request` writes: method, the
path with its secret-looking segments hidden, the URL pattern it matched, status and duration. Never a query
string, a body, a header's value or an exception's message (PhiSafeFormatter's traceback: frames and type)."""

from __future__ import annotations

import functools
import json
import logging
import logging.config
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

from keel.core.digits import ascii_digits
from keel.web.middleware import PhiSafeFormatter

# The extra fields a line may carry (anything else passed in `extra=` is left out).
REQUEST_FIELDS = ("method", "path", "route", "status", "duration_ms")
# A path segment that is not a plain id or word: a stop link's token, an invitation's secret. Hidden.
_SECRETISH = re.compile(r"^(?=.*[0-9])(?=.*[A-Za-z])[A-Za-z0-9_-]{16,}$")

request_logger = logging.getLogger("keel.request")
# `json.dumps(line, ensure_ascii=False, default=str)`'s encoder, built once instead of on every line
# (issue #21: with production's request log, every request writes one).
_encode_line = json.JSONEncoder(ensure_ascii=False, default=str).encode


@functools.cache
def _route_words() -> frozenset[str]:
    """Every literal segment of Keel's URL patterns ("api", "patients", "invitation"...), read once from the
    URL resolver."""
    from django.urls import URLPattern, URLResolver, get_resolver

    words: set[str] = set()

    def walk(patterns: Iterable[URLPattern | URLResolver]) -> None:
        for pattern in patterns:
            for part in str(pattern.pattern).strip("^$").split("/"):
                if part and re.fullmatch(r"\$?[A-Za-z0-9_.\-]+", part):
                    words.add(part)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)

    walk(get_resolver().url_patterns)
    return frozenset(words)


def safe_path(path: str) -> str:
    """The path's shape: each segment a record id (digits) or a word of Keel's own URL patterns, every other
    segment `*`: a secret-looking one (16+ letters and digits mixed, a stop link's token, an invitation's
    secret) and text a person typed into a path (review 19d: `/fhir/R4/Patient/<a name>` was logged as typed).
    Query strings are never logged."""
    words = _route_words()
    return "/".join(
        part if part == "" or (part in words and not _SECRETISH.match(part)) or ascii_digits(part) else "*"
        for part in path.split("/")
    )


# Review 20b: the loggers of Django and the server that write a request's path into their message (the CSRF
# refusal's "Forbidden (CSRF cookie not set.): <path>", a 500's "Internal Server Error: <path>", a bad
# request's, runserver's request line, gunicorn's access and error logs). A reset or invitation link's
# secret is in the path; so is any text a person typed into one. Their lines keep only the path's shape.
PATH_LOGGERS = ("django.request", "django.security", "django.server", "gunicorn")
# A URL (its origin kept) or a path standing on its own; its query string or fragment is never kept.
_PATH_IN_TEXT = re.compile(
    r"(?P<origin>\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s'\"<>]*)(?P<upath>/[^\s'\"<>?#]*)?(?:[?#][^\s'\"<>]*)?"
    r"|(?<![\w/:.])(?P<path>/[^\s'\"<>?#]*)(?:[?#][^\s'\"<>]*)?"
)
# Review 21p: gunicorn's refusals of a malformed request quote what the client sent (`Invalid HTTP Version:
# 'Gonzalez HTTP/1.1'` for `GET /fhir/R4/Patient?name=Maria Gonzalez HTTP/1.1`), cut where no path is left to
# shape. In gunicorn's lines every quoted text is hidden, but a whole request line keeps its method, its
# path's shape and its version.
_QUOTED = re.compile(r"""[bB]?(?P<q>['"])(?P<body>(?:\\.|(?!(?P=q)).)*)(?P=q)""")
_REQUEST_LINE = re.compile(r"(?P<method>[A-Z]{3,7}) (?P<target>/\S*) (?P<version>HTTP/[0-9.]{1,3})")
# A quote that opens a quoted text: at the start or after a space, with a bytes repr's "b" before it.
_OPENING_QUOTE = re.compile(r"""(?:^|(?<=\s))[bB]?['"]""")
# Django's request lines ("Internal Server Error: /path", "Forbidden (CSRF token missing.): /path"): words
# without a path or a quote, ": ", then the path to the end of the line.
_DJANGO_PATH_LINE = re.compile(r"(?P<words>[^/'\"\n]*?: )(?P<path>/.*)", re.DOTALL)
# Review 22p: Django's CSRF refusal names the Origin or Referer it refused ("Referer checking failed - <url>
# does not match any trusted origins."), a header the client wrote, whose query may hold a name with spaces.
# Only its origin is kept, when it is a plain scheme and host, and of the host only what the deployment names
# (review 22s, `_host_shape`); anything else is `*`.
_CSRF_REFUSED = re.compile(
    r"(?P<head>.*? - )(?P<value>.*)(?P<tail> does not match any trusted origins\.)", re.DOTALL
)
_PLAIN_ORIGIN = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<host>[A-Za-z0-9.:\[\]-]+)(?P<path>/[^?#]*)?(?:[?#].*)?",
    re.DOTALL,
)
# Review 22s: a host and its port ("keel.example.org:8443", "[::1]:8000").
_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]*\]|[^:\[\]]*)(?::(?P<port>[0-9]{1,5}))?")
# Review 22q: every other `django.security.<exception class>` logger writes a SuspiciousOperation's own text,
# and some of Django 5.2's quote what the client sent: the refused Host header (`DisallowedHost`, `%r`: any
# text at all, a name with spaces), a redirect's scheme, a file or archive member's name. Each such message
# of Django 5.2 (django/http/request.py, http/response.py, core/files/, utils/_os.py, utils/text.py,
# utils/archive.py) is kept as its own words with the client's text `*`, whatever that text is (a host a
# client typed is typed text, even one shaped like a host name); any other line keeps its words up to its
# first quote (as gunicorn's, `_gunicorn_error`) and its paths' shape.
_SECURITY_MESSAGES = tuple(
    (re.compile(pattern, re.DOTALL), kept)
    for pattern, kept in (
        (
            r"Invalid HTTP_HOST header: .*\. You may need to add .* to ALLOWED_HOSTS\.",
            "Invalid HTTP_HOST header: '*'. You may need to add '*' to ALLOWED_HOSTS.",
        ),
        (
            r"Invalid HTTP_HOST header: .*\. The domain name provided is not valid according to "
            r"RFC 1034/1035\.",
            "Invalid HTTP_HOST header: '*'. The domain name provided is not valid according to "
            "RFC 1034/1035.",
        ),
        (r"Invalid HTTP_HOST header: .*", "Invalid HTTP_HOST header: '*'."),
        (r"Unsafe redirect to URL with protocol .*", "Unsafe redirect to URL with protocol '*'"),
        (r"Detected path traversal attempt in .*", "Detected path traversal attempt in '*'"),
        (r"Could not derive file name from .*", "Could not derive file name from '*'"),
        (r"File name .* includes path elements", "File name '*' includes path elements"),
        (
            r"The joined path \(.*\) is located outside of the base path component \(.*\)",
            "The joined path (*) is located outside of the base path component (*)",
        ),
        (
            r"Storage can not find an available filename for .*",
            'Storage can not find an available filename for "*". Please make sure that the corresponding '
            'file field allows sufficient "max_length".',
        ),
        (r"Archive contains invalid path: .*", "Archive contains invalid path: '*'"),
    )
)
_scrubbing = False  # the record factory is installed once per process


def _shape(path: str) -> str:
    """`safe_path`, or before the URL patterns can be read (a server's own start-up lines), every segment
    but an id hidden."""
    try:
        return safe_path(path)
    except Exception:  # a log line must never fail: the strictest shape instead
        return "/".join(p if p == "" or ascii_digits(p) else "*" for p in path.split("/"))


def _shaped(match: re.Match[str]) -> str:
    if match.group("origin") is not None:
        return match.group("origin") + _shape(match.group("upath") or "")
    return _shape(match.group("path"))


def _quoted(match: re.Match[str]) -> str:
    quote, line = match.group("q"), _REQUEST_LINE.fullmatch(match.group("body"))
    if line is None:
        return f"{quote}*{quote}"
    # Review 21y: the target is one path to its end (an apostrophe or a quote inside it is part of a segment,
    # which `_shape` hides), its query and fragment dropped.
    path = re.split(r"[?#]", line.group("target"), maxsplit=1)[0]
    return f"{quote}{line.group('method')} {_shape(path)} {line.group('version')}{quote}"


def _gunicorn_error(text: str) -> str:
    """A `gunicorn.error` line (review 21y): its own words up to the first opening quote (its refusals quote
    what the client sent with `%r`, after a space; the apostrophe of its own "Can't" opens nothing), then the
    first quoted text as `_quoted` keeps it (a request line's shape, any other text `*`), or `'*'` when it
    does not close, and nothing after it: a quote inside what the client sent cannot end the hiding early."""
    first = _OPENING_QUOTE.search(text)
    if first is None:
        return text
    quoted = _QUOTED.match(text, first.start())
    return text[: first.start()] + (_quoted(quoted) if quoted else "'*'")


def _one_path(text: str) -> str:
    """A Django request line of the form "<words>: <path>" (review 21y): `request.path` is percent-decoded,
    so a space or a quote inside it is part of the path; everything after the ": " is shaped as one path."""
    words = _DJANGO_PATH_LINE.match(text)
    if words is None:
        return _PATH_IN_TEXT.sub(_shaped, text)
    return _PATH_IN_TEXT.sub(_shaped, words.group("words")) + _shape(words.group("path"))


def _csrf_line(reason: object, path: object) -> str:
    """Django's "Forbidden (<reason>): <path>" with the refused header's value reduced to its plain origin and
    its path's shape (review 20b: a secret in the path hidden; review 22p: the query never kept, wherever
    its spaces fall), the origin's host to `_host_shape` (review 22s: an unknown host's labels `*`) and its
    scheme to `_scheme_shape` (review 23s: only http or https kept)."""
    text = str(reason)
    refused = _CSRF_REFUSED.fullmatch(text)
    if refused is None:
        text = _PATH_IN_TEXT.sub(_shaped, text)
    else:
        plain = _PLAIN_ORIGIN.fullmatch(refused.group("value"))
        kept = (
            _scheme_shape(plain.group("scheme"))
            + _host_shape(plain.group("host"))
            + _shape(plain.group("path") or "")
            if plain
            else "*"
        )
        text = refused.group("head") + kept + refused.group("tail")
    return f"Forbidden ({text}): {_shape(str(path))}"


# Review 23s: the schemes a browser's Origin or Referer names for a web page; Django's CSRF check compares
# only these. Any other is the client's own text.
_WEB_SCHEMES = ("http://", "https://")


def _scheme_shape(scheme: str) -> str:
    """A refused Origin's or Referer's scheme as the log keeps it (review 23s): "http://" or "https://" (any
    case, lower-cased), so a misconfigured origin can still be told; any other scheme is `*://`: the client
    chooses it as it chooses the host ("maria-gonzalez-oud://"), and a log keeps no name or diagnosis
    (SECURITY.md)."""
    lowered = scheme.lower()
    return lowered if lowered in _WEB_SCHEMES else "*://"


def _known_hosts() -> tuple[frozenset[str], tuple[str, ...]]:
    """The hosts this deployment names (settings, read when a line is written: a test may change them): each
    host of `ALLOWED_HOSTS` and of `CSRF_TRUSTED_ORIGINS`, lower case; and the domains they allow every
    subdomain of (`.example.org` in `ALLOWED_HOSTS`, `https://*.example.org` in `CSRF_TRUSTED_ORIGINS`).
    `ALLOWED_HOSTS = ["*"]` names no host."""
    from django.conf import settings

    hosts: set[str] = set()
    domains: list[str] = []
    trusted = [o.partition("://")[2] or o for o in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]
    for entry in [*getattr(settings, "ALLOWED_HOSTS", []), *trusted]:
        name = _HOST_PORT.fullmatch(str(entry).lower().rstrip("/"))
        host = name.group("host").rstrip(".") if name else ""
        if host.startswith(("*.", ".")):
            domains.append(host.lstrip("*").lstrip("."))
        elif host and host != "*":
            hosts.add(host)
    return frozenset(hosts), tuple(d for d in domains if d)


def _host_shape(netloc: str) -> str:
    """A refused Origin's or Referer's host as the log keeps it (review 22s): a host this deployment names
    (`_known_hosts`) as it is, so a misconfigured origin can still be told (`http://` for `https://`, another
    port); of any other host only its shape, each label `*` ("https://maria-gonzalez.hiv-positive.example" is
    "https://*.*.*"): a host is text whoever made the page chose, and may hold a name or a diagnosis. Under a
    domain the deployment allows every subdomain of, that domain is kept and the labels before it are `*`.
    The port is kept (digits)."""
    parts = _HOST_PORT.fullmatch(netloc)
    if parts is None:
        return "*"
    host, port = parts.group("host").lower().rstrip("."), parts.group("port")
    suffix = f":{port}" if port else ""
    try:
        hosts, domains = _known_hosts()
    except Exception:  # a log line must never fail: no host is known
        hosts, domains = frozenset(), ()
    if host in hosts:
        return host + suffix
    if host.startswith("["):
        return "[*]" + suffix
    for domain in domains:
        if host == domain:
            return host + suffix
        if host.endswith("." + domain):
            return ".".join("*" for _ in host[: -len(domain) - 1].split(".")) + "." + domain + suffix
    return ".".join("*" for _ in host.split(".")) + suffix


def _security_line(text: str) -> str:
    """A `django.security.*` line other than the CSRF refusal's (review 22q): one of Django's messages that
    quote the client with the client's text `*` (`_SECURITY_MESSAGES`); any other line its words up to the
    first quote, then `'*'`, and its paths' shape."""
    for message, kept in _SECURITY_MESSAGES:
        if message.fullmatch(text):
            return kept
    first = _OPENING_QUOTE.search(text)
    if first is not None:
        text = text[: first.start()] + "'*'"
    return _one_path(text)


def carries_path(name: str) -> bool:
    return any(name == n or name.startswith(n + ".") for n in PATH_LOGGERS)


def scrub_paths(record: logging.LogRecord) -> logging.LogRecord:
    """The record's message with every path in it reduced to `safe_path`'s shape and no query string; the
    message is formatted here, once, so no handler (a console, a file, an email, a test's capture) ever
    formats the raw path from the arguments."""
    try:
        text = record.getMessage()
    except Exception:  # a message that does not format: its template
        text = str(record.msg)
    name = record.name
    args = record.args
    if (
        name == "django.security.csrf"
        and record.msg == "Forbidden (%s): %s"
        and isinstance(args, tuple)
        and len(args) == 2
    ):
        text = _csrf_line(*args)
    elif name == "gunicorn.error":
        text = _PATH_IN_TEXT.sub(_shaped, _gunicorn_error(text))
    elif name == "gunicorn" or name.startswith("gunicorn."):
        text = _PATH_IN_TEXT.sub(_shaped, _QUOTED.sub(_quoted, text))
    elif name.startswith("django.security."):
        text = _security_line(text)
    elif name.startswith(("django.request", "django.security")):
        text = _one_path(text)
    else:
        text = _PATH_IN_TEXT.sub(_shaped, text)
    record.msg, record.args = text, ()
    return record


class SafePathFilter(logging.Filter):
    """The same as a handler filter (for a handler added outside `settings.LOGGING`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if carries_path(record.name):
            scrub_paths(record)
        return True


def configure_logging(config: dict[str, object]) -> None:
    """`settings.LOGGING_CONFIG`: `dictConfig`, then every record of the `PATH_LOGGERS` scrubbed where it is
    made (a record factory). A filter on Keel's handlers would miss a handler Django or a server adds to its
    own logger, and a logger's own filter misses its children (`django.security.csrf`,
    `django.security.DisallowedHost`...); the factory sees every record before any handler does."""
    global _scrubbing
    logging.config.dictConfig(config)
    if _scrubbing:
        return
    made = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = made(*args, **kwargs)
        return scrub_paths(record) if carries_path(record.name) else record

    logging.setLogRecordFactory(factory)
    _scrubbing = True


class JsonFormatter(PhiSafeFormatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encode_line(line)


class RequestLogMiddleware:
    """One `keel.request` line per request (INFO): method, safe path, route, status, duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request_logger.isEnabledFor(logging.INFO):  # KEEL_REQUEST_LOG off: build no line
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        path = safe_path(request.path)
        # What `request_logger.info(...)` does (a record, then the logger's filters and handlers), without its
        # walk up the stack for the caller's file and line, which no Keel format shows and which is always
        # this line (issue #21: a fifth of the line's cost, on every request in production).
        record = request_logger.makeRecord(
            request_logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %s",
            (request.method, path, response.status_code),
            None,
            "__call__",
            {
                "method": request.method,
                "path": path,
                "route": match.route if match else "",
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        request_logger.handle(record)
        return response
