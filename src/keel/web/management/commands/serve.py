"""`keel serve`: run Keel under gunicorn (the production-grade server)."""

from __future__ import annotations

import os
import shutil
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve Keel with gunicorn."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        # Measured on 2 cores (bench/http_load.py, 32 clients): 3 processes of 2 threads write check-ins about
        # 15% faster than 2 of 4, with a lower p99, and serve /healthz as fast. Processes share no interpreter
        # lock; SQLite writers queue on the database's lock file either way (keel.db.sqlite3).
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--threads", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        if not 1 <= options["port"] <= 65535:
            raise CommandError("--port: must be between 1 and 65535", returncode=2)
        if not 1 <= options["workers"] <= 64:
            raise CommandError("--workers: must be between 1 and 64", returncode=2)
        if not 1 <= options["threads"] <= 64:
            raise CommandError("--threads: must be between 1 and 64", returncode=2)
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
        if gunicorn is None:
            raise CommandError("gunicorn is not installed in this environment", returncode=1)
        argv = [
            gunicorn,
            "keel.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--worker-class",
            "gthread",
            "--graceful-timeout",
            "10",
            # The proxies gunicorn believes for the scheme are the ones Keel believes for the client's address
            # (KEEL_TRUSTED_PROXIES, keel.web.client_address): one setting, not two lists to keep in step.
            "--forwarded-allow-ips",
            ",".join(settings.KEEL_TRUSTED_PROXIES),
            # gunicorn's control socket has one default path per user: two `keel serve` processes on one
            # machine (docs/deploy.md) would take it from each other, and Keel does not use it.
            "--no-control-socket",
            # The app is loaded and warmed once in the master (keel.web.warmup: routes, catalogs, templates,
            # one /healthz; its database connection closed before the fork), so every worker, and every
            # worker gunicorn restarts, takes its first request warm, and no worker's boot can outlast
            # gunicorn's timeout while it warms on a busy machine (issue #21).
            "--preload",
        ]
        self.stdout.write(f"Keel is at http://{options['host']}:{options['port']}/  (Ctrl+C stops it)")
        self.stdout.flush()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keel.settings")
        os.execv(gunicorn, argv)  # noqa: S606 - replaces this process with the server
