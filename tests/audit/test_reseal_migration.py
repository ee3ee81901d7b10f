"""Migration 0003 on a database that already holds unkeyed audit rows: they are re-sealed with the audit key,
the chain verifies, and the trail records the re-sealing (and an unkeyed chain that was already broken)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from keel.audit import chain
from tests.own_databases import own_databases

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("own-databases")]

# Three rows as the unkeyed chain (audit 0002) wrote them; `edit` changes row `edit` after it was hashed.
LEGACY_ROWS = """
import sys
from datetime import datetime, timezone
from django.db import connection
from keel.audit import chain
edit = int(sys.argv[-1])
prev = chain.GENESIS_HASH
with connection.cursor() as cursor:
    for i in range(3):
        fields = dict(occurred_at=datetime(2026, 11, 30, 12, 0, i, 123456, tzinfo=timezone.utc), actor_id=7,
                      actor_role="nurse", program_id=1, patient_id=2, action="read", target_type="patient",
                      target_id="2", outcome="success", reason="", detail={}, request_id="r%d" % i,
                      ip_address=None, channel="web")
        digest = chain.legacy_hash(fields, prev)
        stored = dict(fields, reason="edited" if i == edit else "", detail="{}")
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_id, actor_role, program_id, patient_id,"
            " action, target_type, target_id, outcome, reason, detail, request_id, ip_address, channel,"
            " prev_hash, hash)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [stored[k] for k in chain.HASHED_FIELDS] + [prev, digest],
        )
        prev = digest
    cursor.execute("UPDATE audit_auditchainhead SET last_event_id = 3, last_hash = %s WHERE id = 1", [prev])
"""
LAST_ROW = """
import json
from keel.audit.models import AuditEvent
e = AuditEvent.objects.latest("id")
print(json.dumps({"outcome": e.outcome, "reason": e.reason, "target_type": e.target_type,
                  "keys": sorted(set(AuditEvent.objects.values_list("key_id", flat=True)))}))
"""


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keel.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _upgrade(tmp_path: Path, url: str, edit: int) -> dict[str, Any]:
    tmp_path.mkdir()
    env = dict(
        os.environ,
        KEEL_DATABASE_URL=url,
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_AUDIT_KEYS=chain.new_key_spec("k1"),
    )
    assert _run(env, "migrate", "audit", "0002", "--no-input").returncode == 0
    script = tmp_path / "legacy.py"
    script.write_text(LEGACY_ROWS)
    legacy = _run(
        env, "shell", "-c", f"import sys; sys.argv = ['x', '{edit}']; exec(open({str(script)!r}).read())"
    )
    assert legacy.returncode == 0, legacy.stderr[-2000:]
    migrated = _run(env, "migrate", "audit", "--no-input")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    after = _run(env, "audit", "verify")
    last = _run(env, "shell", "-c", LAST_ROW)
    update = _run(
        env,
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute(\"UPDATE audit_auditevent SET reason = 'x' WHERE id = 1\")",
    )
    return {
        "after": after.returncode,
        "after_out": after.stdout,
        "last": json.loads(last.stdout.strip().splitlines()[-1]),
        "update": update.returncode,
        "update_err": update.stderr,
    }


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("reseal")
    with own_databases(tmp_path, "clean", "tampered") as (clean, tampered):
        return {
            "clean": _upgrade(tmp_path / "a", clean, edit=-1),
            "tampered": _upgrade(tmp_path / "b", tampered, edit=1),
        }


def test_after_the_migration_the_chain_verifies(upgraded: dict[str, Any]) -> None:
    assert upgraded["clean"]["after"] == 0
    assert "4 rows verified" in upgraded["clean"]["after_out"]


def test_every_row_is_sealed_with_the_key(upgraded: dict[str, Any]) -> None:
    assert upgraded["clean"]["last"]["keys"] == ["k1"]


def test_the_resealing_is_recorded_as_a_success(upgraded: dict[str, Any]) -> None:
    last = upgraded["clean"]["last"]
    assert (last["target_type"], last["outcome"]) == ("audit_chain", "success")


def test_an_already_broken_unkeyed_chain_is_recorded(upgraded: dict[str, Any]) -> None:
    last = upgraded["tampered"]["last"]
    assert last["outcome"] == "failure"
    assert "already broken at row 2" in last["reason"]


def test_the_rows_stay_append_only_after_the_migration(upgraded: dict[str, Any]) -> None:
    assert upgraded["clean"]["update"] != 0
    assert "append-only" in upgraded["clean"]["update_err"]
