"""SECURITY.md T10 (backup -> restore is identical) and T13 for backups (no plaintext canary in the file),
through the real CLI against databases of the test's own, on SQLite and on PostgreSQL:

`keel backup create` on a demo database -> `keel backup restore` into a new, empty database -> the two digests
(rows and a hash per table) are equal, the audit chain verifies, and the restored copy works: a token issued
before the backup signs in, a new check-in is written and audited, the chain still verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.own_databases import own_databases

pytestmark = pytest.mark.django_db

KEEL = Path(sys.executable).parent / "keel"
CANARY = "canary-7f3e1d-backup"

SETUP = f"""
from keel.accounts import services as accounts
from keel.patients.models import Patient
from keel.recovery import services as recovery
from keel.recovery.schemas import CheckInIn
patient = Patient.objects.get(record_number="RR-1001")
checkin = CheckInIn.posted({{"craving": 2, "mood": 4, "used": False, "medication": "taken",
                            "note": "{CANARY}"}})
recovery.record_checkin(by=patient.user, data=checkin, key="before-backup")
print(accounts.create_token(user=patient.user, name="phone").secret)
"""

SMOKE = """
import json, sys
from django.test import Client
auth = {"Authorization": "Bearer " + sys.stdin.read().strip()}
me = Client().get("/api/v1/me", headers=auth)
checkin = Client().post("/api/v1/me/checkins", json.dumps({"craving": 1, "mood": 5, "used": False,
                        "medication": "taken"}), content_type="application/json",
                        headers={**auth, "Idempotency-Key": "after-restore"})
print(json.dumps({"me": me.status_code, "checkin": checkin.status_code, "body": checkin.json()}))
"""


def keel(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(KEEL), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (args, done.stdout[-1000:], done.stderr[-2000:])
    return done.stdout


def digest(env: dict[str, str]) -> dict[str, Any]:
    return dict(json.loads(keel(env, "backup", "digest", "--json")))


def test_a_backup_restores_identical_and_the_copy_works(tmp_path: Path) -> None:
    base = dict(os.environ, KEEL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="keel.settings")
    with own_databases(tmp_path, "source", "restored") as (source_url, restored_url):
        source, restored = (
            {**base, "KEEL_DATABASE_URL": source_url},
            {**base, "KEEL_DATABASE_URL": restored_url},
        )
        keel(source, "migrate", "--no-input")
        keel(source, "demo")
        secret = keel(source, "shell", "-c", SETUP).strip().splitlines()[-1]
        backup = tmp_path / "keel.backup"
        assert "Backup written" in keel(source, "backup", "create", str(backup))
        assert backup.stat().st_mode & 0o777 == 0o600  # it holds patient records

        assert "Audit chain OK" in keel(restored, "backup", "restore", str(backup))
        before = digest(source)
        assert before["chain"]["ok"]
        assert before["chain"]["checked"] > 10
        assert before["tables"]["recovery_checkin"]["rows"] >= 1
        assert before["tables"]["audit_auditevent"]["rows"]
        assert digest(restored) == before  # every table: the same rows, the same content

        smoke = json.loads(keel(restored, "shell", "-c", SMOKE, stdin=secret).strip().splitlines()[-1])
        assert smoke["me"] == 200
        assert smoke["checkin"] == 200
        assert smoke["body"]["checkin"]["version"] == 2
        after = digest(restored)
        assert (
            after["chain"]["ok"] and after["chain"]["checked"] == before["chain"]["checked"] + 2
        )  # the read, the write

        # T13: the encrypted note never appears in the backup (for PostgreSQL, in the SQL it restores from).
        if connection.vendor == "sqlite":
            raw = backup.read_bytes()
        else:
            raw = subprocess.run(
                ["pg_restore", "--file=-", str(backup)], capture_output=True, check=True, timeout=60
            ).stdout
        assert b"RR-1001" in raw  # the search can see plain values
        assert CANARY.encode() not in raw


def test_restore_refuses_a_database_in_use_and_create_never_overwrites(tmp_path: Path) -> None:
    base = dict(os.environ, KEEL_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="keel.settings")
    with own_databases(tmp_path, "live") as (url,):
        live = {**base, "KEEL_DATABASE_URL": url}
        keel(live, "migrate", "--no-input")
        backup = tmp_path / "keel.backup"
        keel(live, "backup", "create", str(backup))
        for args, message in (
            (("backup", "restore", str(backup)), "already has"),
            (("backup", "create", str(backup)), "already exists"),
            (("backup", "restore", str(tmp_path / "missing")), "is not a file"),
            (("backup", "create"), "give the backup file's path"),
        ):
            done = subprocess.run([str(KEEL), *args], env=live, capture_output=True, text=True, check=False)
            assert done.returncode != 0, (args, done.stderr)
            assert message in done.stderr, (args, done.stderr)
        assert not list(tmp_path.glob("*.partial"))
