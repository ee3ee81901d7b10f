"""A server worker warms itself before it takes traffic (issue #21): no one's first request pays for the
imports, the catalogs and the templates."""

from __future__ import annotations

from typing import Any

from keel.web import warmup


def test_warming_runs_one_healthz_through_the_application() -> None:
    seen: list[str] = []

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        start_response("200 OK", [])
        return [b"ok"]

    warmup.warm(application)
    assert seen == ["GET /healthz"]


def test_warming_compiles_keels_templates() -> None:
    assert warmup._templates() > 50


def test_a_failed_warm_up_leaves_the_worker_serving(caplog: Any) -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("database not ready")

    warmup.warm(broken)
    assert "starts cold" in caplog.text


def test_warming_builds_every_languages_reverse_tables() -> None:
    """Every page's language links reverse its address in the other language: a worker that built only the
    default language's tables built the others on its first page (57 ms of CPU on the first dose)."""
    from django.conf import settings
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver._reverse_dict.clear()
    warmup.warm(lambda environ, start_response: [b""])
    assert {code for code, _name in settings.LANGUAGES} <= set(resolver._reverse_dict)


def test_the_served_application_freezes_what_it_loaded(tmp_path: Any) -> None:
    """keel.wsgi (what gunicorn loads) warms the worker, then freezes what it loaded (issue #21)."""
    import os
    import subprocess
    import sys

    code = "import gc, keel.wsgi; print(gc.get_freeze_count())"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "KEEL_DATABASE_URL")}
    env["KEEL_DATA_DIR"] = str(tmp_path)  # a throwaway database: the warm-up's /healthz fails there, logged
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip().splitlines()[-1]) > 10_000
