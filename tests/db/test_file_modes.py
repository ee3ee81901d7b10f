"""Issue #14: the data directory and every database file (the database, its -wal and -shm, the writer lock)
are created owner-only, whatever the umask."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> object:
    old = os.umask(0o022)
    yield
    os.umask(old)


FILES = ["keel.sqlite3", "keel.sqlite3-wal", "keel.sqlite3-shm", "keel.sqlite3-writer", "secret_key"]
# Runs in a fresh process with a loose umask, new data directory; reports the modes while the database is open
# (SQLite removes -wal and -shm when the last connection closes).
PROGRAM = f"""
import json, os, pathlib, stat
os.umask(0o022)
import django
django.setup()
from django.db import connection, transaction
with transaction.atomic():
    connection.cursor().execute("CREATE TABLE t (x)")
connection.cursor().execute("INSERT INTO t VALUES (1)")
data = pathlib.Path(os.environ["KEEL_DATA_DIR"])
modes = {{p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in [data, *(data / n for n in {FILES!r})]}}
print(json.dumps(modes))
"""


def test_a_new_data_directory_and_its_database_files_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "var"
    env = {**os.environ, "KEEL_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "keel.settings"}
    for name in ("KEEL_DATABASE_URL", "KEEL_SECRET_KEY", "KEEL_DATA_KEYS", "KEEL_TESTING"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, cwd=ROOT, timeout=120, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modes = json.loads(done.stdout.strip().splitlines()[-1])
    assert modes == {"var": "0o700", **{name: "0o600" for name in FILES}}


def test_the_engine_makes_a_new_directory_and_file_owner_only(tmp_path: Path, loose_umask: object) -> None:
    from keel.db.sqlite3.base import _create_owner_only

    path = tmp_path / "new" / "db.sqlite3"
    _create_owner_only(str(path))
    assert (oct(_mode(path.parent)), oct(_mode(path))) == ("0o700", "0o600")
