"""`bench/pg_pool.py`'s two pooled configurations are what it says (issue #21, session 31): Keel's
`bench/pool_settings.py` and bare's `BARE_DATABASE_POOL=1` both take Django's psycopg pool with
`CONN_MAX_AGE` 0 and keep `CONN_HEALTH_CHECKS` (the pool's check), and neither touches the settings Keel and
bare run with otherwise (persistent connections). Settings are read in a child process; nothing connects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "bench"
SRC = BENCH.parent / "src"
URL = "postgresql://postgres@127.0.0.1:5432/never_connected"
READ = (
    "import json, importlib, os; d = importlib.import_module(os.environ['DJANGO_SETTINGS_MODULE'])"
    ".DATABASES['default']; print(json.dumps({'age': d['CONN_MAX_AGE'], 'checks': d['CONN_HEALTH_CHECKS'], "
    "'pool': (d.get('OPTIONS') or {}).get('pool')}))"
)


def _database(module: str, **env: str) -> dict[str, Any]:
    child = dict(
        os.environ, DJANGO_SETTINGS_MODULE=module, PYTHONPATH=os.pathsep.join((str(BENCH), str(SRC)))
    )
    child.update(env)
    out = subprocess.run([sys.executable, "-c", READ], env=child, cwd=BENCH, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def test_keel_pooled_settings_take_the_pool_without_persistent_connections() -> None:
    database = _database("pool_settings", KEEL_DATABASE_URL=URL)
    assert (database["age"], database["pool"]) == (0, {"min_size": 2, "max_size": 2})


def test_keel_pooled_settings_keep_the_health_check() -> None:
    assert _database("pool_settings", KEEL_DATABASE_URL=URL)["checks"] is True


def test_keel_settings_keep_persistent_connections() -> None:
    database = _database("keel.settings", KEEL_DATABASE_URL=URL)
    assert (database["age"], database["pool"]) == (60, None)


def test_bare_pool_switch_takes_the_pool_without_persistent_connections() -> None:
    database = _database("bare.settings", BARE_DATABASE_URL=URL, BARE_DATABASE_POOL="1")
    assert (database["age"], database["checks"], database["pool"]) == (
        0,
        True,
        {"min_size": 2, "max_size": 2},
    )


def test_bare_without_the_switch_keeps_persistent_connections() -> None:
    database = _database("bare.settings", BARE_DATABASE_URL=URL)
    assert (database["age"], database["pool"]) == (60, None)
