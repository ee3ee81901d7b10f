"""State shared across processes (issue #19): two web processes on one database count one rate limit, and
nothing a request relies on is kept in one process's memory (the cache is a database table)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.own_databases import own_databases

# One process's requests: the open scoring endpoint from one address, under KEEL_SCORE_RATE.
SCRIPT = """
import json, sys, django
django.setup()
from django.test import Client
from tests.assessments.test_api import COWS
client = Client(REMOTE_ADDR="198.51.100.77")
codes = [
    client.post("/api/v1/instruments/cows/score", json.dumps({"answers": COWS}),
                content_type="application/json").status_code
    for _ in range(int(sys.argv[1]))
]
print(json.dumps(codes))
"""


def test_the_cache_is_the_database() -> None:
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def test_sessions_are_in_the_database() -> None:
    """Django's database store (keel.accounts.sessions only writes its read by hand), not a cache's."""
    from importlib import import_module

    from django.contrib.sessions.backends.cached_db import SessionStore as CachedStore
    from django.contrib.sessions.backends.db import SessionStore as DatabaseStore

    store = import_module(settings.SESSION_ENGINE).SessionStore
    assert issubclass(store, DatabaseStore) and not issubclass(store, CachedStore)


@pytest.mark.django_db
def test_two_processes_share_the_scoring_rate_limit(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    with own_databases(tmp_path, "shared") as (url,):
        env = dict(
            os.environ,
            KEEL_DATABASE_URL=url,
            KEEL_DATA_DIR=str(tmp_path),
            KEEL_SCORE_RATE="3/m",
            DJANGO_SETTINGS_MODULE="keel.settings",
            PYTHONPATH=str(root),
        )
        keel = str(Path(sys.executable).parent / "keel")
        subprocess.run([keel, "migrate", "--no-input", "-v", "0"], env=env, check=True, timeout=300)

        def process(n: int) -> list[int]:
            done = subprocess.run(
                [sys.executable, "-c", SCRIPT, str(n)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr[-2000:]
            return list(json.loads(done.stdout.strip().splitlines()[-1]))

        first = process(2)
        second = process(2)
    assert first == [200, 200]
    assert second == [200, 429]
