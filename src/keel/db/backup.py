"""Backups, restores and the digest that proves a restore identical (SECURITY.md: "Backups are taken with
SQLite's online backup API (never a file copy of a live WAL database) or `pg_dump`, and verified by
restoring"; figure T10).

- `create(path)`: SQLite copies the live database with the online backup API in one step, a consistent
  snapshot while writers go on (a read needs no writer's turn); PostgreSQL runs `pg_dump` (custom format,
  one snapshot). The file is private (0600) and appears under its name only once complete.
- `restore(path)`: loads a backup into the configured database, which must be empty (no tables), so a restore
  never mixes with or overwrites live data: point Keel at a new database, restore, check, then switch.
- `digest()`: per table its row count and a SHA-256 of every row in order, and the audit chain's verdict.
  Two databases with equal digests hold the same data; compare the source's digest with the restored copy's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3

# pg_dump and pg_restore only, as argument lists, never through a shell:
import subprocess  # nosec B404
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection

from keel.audit.services import verify_chain


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


def _private_file(path: Path) -> int:
    """Create `path` new (never overwrite) readable by its owner only: a backup holds patient records."""
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} already exists: choose a new file name") from None
    except OSError as exc:
        raise BackupError(f"cannot write {path}: {exc.strerror}") from None


def create(path: Path) -> int:
    """Write a backup of the configured database to `path` (a new file); returns its size in bytes."""
    partial = path.with_name(path.name + ".partial")
    if path.exists():
        raise BackupError(f"{path} already exists: choose a new file name")
    fd = _private_file(partial)
    try:
        if connection.vendor == "sqlite":
            os.close(fd)
            _sqlite_backup(partial)
        else:
            try:
                _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", _dbname()], stdout=fd)
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(partial, path)
        _fsync_dir(path.parent)  # the new name is on disk too, not only the bytes
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path.stat().st_size


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sqlite_backup(target_path: Path) -> None:
    connection.ensure_connection()
    source = connection.connection
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # pages=-1: the whole database in one step, one consistent snapshot (synced)
        target.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file, no -wal beside it
    finally:
        target.close()


def restore(path: Path) -> None:
    """Load the backup at `path` into the configured database, which must have no tables yet."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    existing = connection.introspection.table_names()
    if existing:
        raise BackupError(
            f"the configured database already has {len(existing)} tables: restore into a new, empty database "
            "(set KEEL_DATABASE_URL to it), check it, then switch Keel over"
        )
    if connection.vendor == "sqlite":
        try:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                if source.execute("PRAGMA quick_check").fetchone() != ("ok",):
                    raise BackupError(f"{path} is damaged: SQLite's check fails")
                connection.ensure_connection()
                source.backup(connection.connection)
            finally:
                source.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a Keel SQLite backup: {exc}") from None
        connection.close()  # the next use opens the restored file afresh (WAL, foreign keys)
    else:
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={_dbname()}",
                str(path),
            ]
        )


def digest() -> tuple[dict[str, TableDigest], Any]:
    """Each table's row count and content hash, and the audit chain's report (`verify_chain`)."""
    tables: dict[str, TableDigest] = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name in sorted(connection.introspection.table_names()):
            columns = len(connection.introspection.get_table_description(cursor, name))
            order = ", ".join(str(i) for i in range(1, columns + 1))
            cursor.execute(f"SELECT * FROM {quote(name)} ORDER BY {order}")  # noqa: S608 # nosec B608
            h, rows = hashlib.sha256(), 0
            while chunk := cursor.fetchmany(2000):
                for row in chunk:
                    h.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)).encode())
                    h.update(b"\n")
                rows += len(chunk)
            tables[name] = TableDigest(rows, h.hexdigest())
    return tables, verify_chain()


def _dbname() -> str:
    """The PostgreSQL URI for pg_dump / pg_restore (the password goes in the environment, not here)."""
    s = connection.settings_dict
    user = f"{quote(str(s['USER']), safe='')}@" if s.get("USER") else ""
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgresql://{user}{s.get('HOST') or ''}{port}/{quote(str(s['NAME']), safe='')}"


def _run(argv: list[str], stdout: int | None = None) -> None:
    program = shutil.which(argv[0])
    if program is None:
        raise BackupError(f"{argv[0]} is not installed: install the PostgreSQL client tools")
    env = dict(os.environ)
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(connection.settings_dict["PASSWORD"])
    # A fixed program found on PATH; the arguments are Keel's own, and there is no shell.
    done = subprocess.run(  # noqa: S603 # nosec B603
        [program, *argv[1:]], stdout=stdout, stderr=subprocess.PIPE, env=env, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.decode(errors='replace').strip()[-500:]}")
