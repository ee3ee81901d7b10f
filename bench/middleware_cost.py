"""What each middleware costs a `/healthz` request, in one process and one run (issue #21).

    .venv/bin/python bench/middleware_cost.py [--requests 400] [--rounds 3] [--profile]
    .venv/bin/python bench/middleware_cost.py --route me      # GET /api/v1/me with a patient's bearer token
    .venv/bin/python bench/middleware_cost.py --calls         # Python function calls per request instead
    .venv/bin/python bench/middleware_cost.py --request-log   # with production's request log (to /dev/null)

`--calls` counts the Python function calls one request makes (cProfile's count), per handler: unlike CPU
time it does not move with the machine's load, so it shows what a middleware adds on a shared machine.

Builds Keel's request handler once with the full MIDDLEWARE list and once per middleware with that one
removed, then times anonymous `GET /healthz` through each (CPU time of this process per request, which a
loaded machine disturbs less than wall time), handlers in rotated order every round. Prints each middleware's
cost (full minus without it) as min/median/max over the rounds. `--profile` adds a cProfile of the full
stack. A measurement tool only: Keel serves every route through the whole list.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _setup(request_log: bool = False) -> None:
    os.environ["KEEL_DATA_DIR"] = tempfile.mkdtemp(prefix="keel-mw-")
    if request_log:  # production's default: one JSON line per request (KEEL_REQUEST_LOG, KEEL_LOG_FORMAT)
        os.environ["KEEL_REQUEST_LOG"] = "1"
        os.environ["KEEL_LOG_FORMAT"] = "json"
    for name in ("KEEL_DATABASE_URL", "KEEL_TESTING"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "keel.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    if request_log:
        import logging

        for handler in logging.getLogger().handlers:  # the console handler: written, then thrown away
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115  # open for the whole run


def _handler(middleware: list[str]) -> Callable[[Any], Any]:
    from django.core.handlers.base import BaseHandler
    from django.test.utils import override_settings

    with override_settings(MIDDLEWARE=middleware):
        handler = BaseHandler()
        handler.load_middleware()
    return handler.get_response


ROUTE: dict[str, Any] = {"path": "/healthz", "headers": {}}


def _me_route() -> None:
    """GET /api/v1/me as a patient with a bearer token (bench/profile_request.py's bench patient)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import profile_request  # type: ignore[import-not-found]
    from keel import demo

    demo.load(patients_per_program=2)
    ROUTE["path"] = "/api/v1/me"
    ROUTE["headers"] = {"HTTP_AUTHORIZATION": f"Bearer {profile_request._patient_token()}"}


def _time(get_response: Callable[[Any], Any], n: int) -> float:
    """CPU milliseconds per request."""
    from django.test import RequestFactory

    factory = RequestFactory()
    path, headers = str(ROUTE["path"]), dict(ROUTE["headers"])
    started = time.process_time()
    for _ in range(n):
        response = get_response(factory.get(path, REMOTE_ADDR="127.0.0.1", **headers))
        assert response.status_code == 200, response.status_code
        response.close()
    return (time.process_time() - started) / n * 1000


def _calls(get_response: Callable[[Any], Any], n: int) -> float:
    """Python function calls per request (the test client's request building included, the same for all)."""
    profiler = cProfile.Profile()
    profiler.enable()
    _time(get_response, n)
    profiler.disable()
    stats = pstats.Stats(profiler)
    return float(stats.total_calls) / n  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400, help="requests per handler per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the full stack")
    parser.add_argument("--route", choices=["healthz", "me"], default="healthz")
    parser.add_argument("--calls", action="store_true", help="count function calls per request, not CPU")
    parser.add_argument(
        "--request-log", action="store_true", help="log each request as production does (to /dev/null)"
    )
    args = parser.parse_args()
    _setup(args.request_log)
    if args.route == "me":
        _me_route()
    measure = _calls if args.calls else _time
    unit = "Python function calls per request" if args.calls else "CPU ms per request"
    from django.conf import settings

    full = list(settings.MIDDLEWARE)
    variants: dict[str, Callable[[Any], Any]] = {"(all)": _handler(full), "(none)": _handler([])}
    for name in full:
        variants[name] = _handler([m for m in full if m != name])
    import logging

    logging.disable(logging.CRITICAL)
    for name in list(variants):  # warm every handler (imports, connection, caches)
        try:
            _time(variants[name], 20)
        except (AssertionError, Exception):
            del variants[
                name
            ]  # another middleware needs it (sessions for authentication): not removable alone
    logging.disable(logging.NOTSET)
    figures: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for round_no in range(args.rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            figures[name].append(measure(variants[name], args.requests))
    full_ms = figures["(all)"]

    def mmm(values: list[float]) -> str:
        fmt = "{:.0f}" if args.calls else "{:.3f}"
        return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))

    print(
        f"GET {ROUTE['path']}{' (request log on)' if args.request_log else ''}, {unit}, "
        f"{args.requests} requests x {args.rounds} rounds, "
        f"load average {os.getloadavg()[0]:.1f}; min/median/max"
    )
    print(f"{'all middleware':<48}{mmm(full_ms):>24}")
    print(f"{'no middleware (the view alone)':<48}{mmm(figures['(none)']):>24}")
    print(f"{'middleware':<48}{'cost = all - without it':>24}")
    for name in full:
        if name not in figures:
            print(f"{name:<48}{'(others need it)':>24}")
            continue
        costs = [a - b for a, b in zip(full_ms, figures[name], strict=True)]
        print(f"{name:<48}{mmm(costs):>24}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        _time(variants["(all)"], args.requests)
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
