"""Warm a server worker before it takes traffic (issue #21): a worker that imports every view, compiles the
templates and loads the translation catalogs on its first request makes that person wait seconds (measured
by bench/dosing_window.py: the first dose per nurse took 1.5-4.3 s on a cold worker). gunicorn loads
`keel.wsgi` in each worker before the worker accepts a connection, so doing it there costs no one a wait."""

from __future__ import annotations

import gc
import io
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.db import connections
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver
from django.utils import translation
from django.utils.translation import trans_real

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)
KEEL_ROOT = Path(__file__).resolve().parent.parent


def _templates() -> int:
    """Compile Keel's own templates into the cached loader; returns how many."""
    count = 0
    for folder in get_app_template_dirs("templates"):
        if KEEL_ROOT not in Path(folder).parents:
            continue
        for path in sorted(Path(folder).rglob("*.html")):
            try:
                get_template(path.relative_to(folder).as_posix())
            except (TemplateDoesNotExist, TemplateSyntaxError):  # a broken template fails its own request
                continue
            count += 1
    return count


class Application(Protocol):
    """A WSGI application as a server calls it (`keel.wsgi`'s Django handler, or a test's)."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse, /) -> Iterable[bytes]: ...


def _discard(data: bytes) -> None:
    """The warm-up's response body is written nowhere."""


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: object = None, /
) -> Callable[[bytes], object]:
    return _discard


def _healthz(application: Application) -> None:
    """One anonymous GET /healthz through the whole middleware list (the request path's first-use costs)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    body = application(environ, _start_response)
    try:
        b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()


def warm(application: Application) -> None:
    """Import every route's module, load each language's catalog, compile the templates and run /healthz once;
    then close the database connection it opened (each serving thread opens its own). A failure here is
    logged (without request data) and the worker starts cold, as before."""
    try:
        resolver = get_resolver()
        resolver.url_patterns  # noqa: B018 - imports every view and API module
        for code, _name in settings.LANGUAGES:
            trans_real.translation(code)  # loads and caches the language's catalog (no string to extract)
            # The reverse tables are built per active language: every page's language links
            # (keel.web.context) translate the address into the other language, so the first page in each
            # worker built the other language's tables (57 ms of CPU on the first dose at the window).
            with translation.override(code):
                resolver.reverse_dict  # noqa: B018 - builds this language's reverse tables once
        _templates()
        _healthz(application)
    except Exception:  # warming must never stop a worker from serving
        log.warning("worker warm-up failed; this worker starts cold", exc_info=True)
    finally:
        connections.close_all()


def freeze() -> None:
    """Move everything loaded so far (modules, views, URL tables, compiled templates, catalogs: objects that
    live as long as the worker) out of the garbage collector's reach, after collecting what is garbage now.

    Keel's warm worker tracks about 2.5 times the objects of a bare Django project, and every full collection
    walked all of them: measured in one process (bench/wsgi_calls.py's request loop, issue #21), 0.05 ms per
    /healthz went to full collections, which a bare project does not pay. Frozen, they are never walked again;
    the objects of each request are collected as before. Under `keel serve` (gunicorn --preload) this runs
    once in the master, so the workers forked from it share the frozen objects' memory pages instead of
    copying them when a collection touches them (Python's documented use of gc.freeze before fork)."""
    gc.collect()
    gc.freeze()
