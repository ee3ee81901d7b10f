"""`keel backup create PATH | restore PATH | digest`: backups that are verified by restoring (keel.db.backup).

keel backup create /safe/place/keel-2026-11-25.backup
KEEL_DATABASE_URL=<a new, empty database> keel backup restore /safe/place/keel-2026-11-25.backup
keel backup digest --json        # on the source and on the restored copy: equal digests, identical data
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keel.db import backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite's online backup API, or pg_dump), restore a backup into a new empty "
        "database, or print the digest (rows and a hash per table, and the audit chain) that proves a "
        "restore identical."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("subcommand", choices=["create", "restore", "digest"])
        parser.add_argument(
            "path", nargs="?", help="the backup file (create: a new file; restore: an existing one)"
        )
        parser.add_argument("--json", action="store_true", help="digest: print it as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        sub, path = options["subcommand"], options["path"]
        if sub in ("create", "restore") and not path:
            raise CommandError(f"backup {sub}: give the backup file's path", returncode=2)
        try:
            if sub == "create":
                size = backup.create(Path(path))
                self.stdout.write(f"Backup written: {path} ({size:,} bytes). Verify it by restoring it.")
                return
            if sub == "restore":
                backup.restore(Path(path))
        except backup.BackupError as exc:
            raise CommandError(f"backup {sub}: {exc}", returncode=1) from None
        tables, chain = backup.digest()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "tables": {name: t.__dict__ for name, t in tables.items()},
                        "chain": chain.__dict__,
                    }
                )
            )
        else:
            if sub == "restore":
                self.stdout.write(f"Restored {path}.")
            rows = sum(t.rows for t in tables.values())
            self.stdout.write(f"{len(tables)} tables, {rows:,} rows.")
            if chain.ok:
                self.stdout.write(f"Audit chain OK: {chain.checked} rows verified.")
        if not chain.ok:
            raise CommandError(
                f"Audit chain BROKEN at row {chain.first_broken_id}: {chain.problem}.", returncode=1
            )
