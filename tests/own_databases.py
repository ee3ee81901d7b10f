"""Databases of a test's own, for code that runs in other processes (a race, the real server, the CLI): a
SQLite file under the test's tmp_path, or a new PostgreSQL database on the test server, dropped afterwards, so
that their committed rows never meet the other tests."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from psycopg import sql


@contextmanager
def own_databases(tmp_path: Path, *names: str) -> Iterator[list[str]]:
    """One KEEL_DATABASE_URL per name, each a new, empty database of the vendor under test."""
    if connection.vendor == "sqlite":
        yield [f"sqlite:///{tmp_path}/{name}.sqlite3" for name in names]
        return
    db = connection.settings_dict
    server = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}"
    tag = uuid.uuid4().hex[:8]
    made = [f"keel_{name}_{tag}" for name in names]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for name in made:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield [f"{server}/{name}" for name in made]
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            for name in made:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def run_script(env: dict[str, str], script: Path, *args: str, timeout: int = 120) -> dict[str, Any]:
    """Run a test script in a fresh process; return the JSON it printed last."""
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
