"""Migration 0004 (one chain per program, issue #21) on a database that already holds a keyed chain: the rows
keep their MACs and links (they become chain 0, the chain of no program, which goes on from them), the head
row becomes chain 0's, the chain verifies before and after new programs' chains begin, and a cut tail of the
old rows is still caught."""

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

# Three keyed rows as the single chain (audit 0003) wrote them, and its one head row (id 1).
KEYED_ROWS = """
from datetime import datetime, timezone
from django.db import connection
from keel.audit import chain, services
prev = chain.GENESIS_HASH
key_id, key = services.audit_keys()[0]
with connection.cursor() as cursor:
    for i in range(3):
        fields = dict(occurred_at=datetime(2026, 11, 30, 12, 0, i, 123456, tzinfo=timezone.utc), actor_id=7,
                      actor_role="nurse", program_id=1, patient_id=2, action="read", target_type="patient",
                      target_id="2", outcome="success", reason="", detail={}, request_id="r%d" % i,
                      ip_address=None, channel="web")
        digest = chain.seal(fields, prev, key_id, key)
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_id, actor_role, program_id, patient_id,"
            " action, target_type, target_id, outcome, reason, detail, request_id, ip_address, channel,"
            " prev_hash, hash, key_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [dict(fields, detail="{}")[k] for k in chain.HASHED_FIELDS] + [prev, digest, key_id],
        )
        prev = digest
    cursor.execute("UPDATE audit_auditchainhead SET last_event_id = 3, last_hash = %s WHERE id = 1", [prev])
"""
STATE = """
import json
from keel.audit.models import AuditChainHead, AuditEvent
print(json.dumps({"chains": sorted(set(AuditEvent.objects.values_list("chain", flat=True))),
                  "heads": sorted(AuditChainHead.objects.values_list("id", "last_event_id"))}))
"""
NEW_ROWS = """
from keel.audit import services
for program in (5, None, 5):
    services.record(actor=None, action="read", program_id=program, target_type="thing", target_id=1)
"""
CUT_TAIL = """
from django.db import connection
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    cursor.execute("DELETE FROM audit_auditevent WHERE id = 3")
"""
UPDATE_ROW = (
    "from django.db import connection; c = connection.cursor(); "
    'c.execute("UPDATE audit_auditevent SET chain = 5 WHERE id = 1")'
)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keel.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _shell(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    done = _run(env, "shell", "-c", code)
    return done


def _upgrade(tmp_path: Path, url: str) -> dict[str, Any]:
    tmp_path.mkdir()
    env = dict(
        os.environ,
        KEEL_DATABASE_URL=url,
        KEEL_DATA_DIR=str(tmp_path),
        KEEL_AUDIT_KEYS=chain.new_key_spec("k1"),
    )
    assert _run(env, "migrate", "audit", "0003", "--no-input").returncode == 0
    keyed = _shell(env, KEYED_ROWS)
    assert keyed.returncode == 0, keyed.stderr[-2000:]
    migrated = _run(env, "migrate", "audit", "--no-input")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    return env


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("chains")
    with own_databases(tmp_path, "kept", "cut") as (kept_url, cut_url):
        kept = _upgrade(tmp_path / "kept", kept_url)
        found: dict[str, Any] = {}
        found["verify_after_migration"] = _run(kept, "audit", "verify")
        found["state_after_migration"] = json.loads(_shell(kept, STATE).stdout.strip().splitlines()[-1])
        found["update"] = _shell(kept, UPDATE_ROW)
        assert _shell(kept, NEW_ROWS).returncode == 0
        found["verify_with_new_chains"] = _run(kept, "audit", "verify")
        found["state_with_new_chains"] = json.loads(_shell(kept, STATE).stdout.strip().splitlines()[-1])
        point = _run(kept, "audit", "checkpoint")
        found["checkpoint"] = json.loads(point.stdout.strip().splitlines()[-1])
        cut = _upgrade(tmp_path / "cut", cut_url)
        assert _shell(cut, CUT_TAIL).returncode == 0
        found["verify_cut"] = _run(cut, "audit", "verify")
        return found


def test_the_old_rows_verify_after_the_migration(upgraded: dict[str, Any]) -> None:
    done = upgraded["verify_after_migration"]
    assert done.returncode == 0
    assert "3 rows verified" in done.stdout


def test_the_old_rows_are_the_chain_of_no_program(upgraded: dict[str, Any]) -> None:
    assert upgraded["state_after_migration"]["chains"] == [0]


def test_the_one_head_row_becomes_chain_zeros(upgraded: dict[str, Any]) -> None:
    assert upgraded["state_after_migration"]["heads"] == [[0, 3]]


def test_the_rows_stay_append_only_after_the_migration(upgraded: dict[str, Any]) -> None:
    done = upgraded["update"]
    assert done.returncode != 0
    assert "append-only" in done.stderr


def test_old_and_new_chains_verify_together(upgraded: dict[str, Any]) -> None:
    done = upgraded["verify_with_new_chains"]
    assert done.returncode == 0
    assert "6 rows verified" in done.stdout


def test_a_program_begins_its_own_chain_after_the_migration(upgraded: dict[str, Any]) -> None:
    assert upgraded["state_with_new_chains"]["heads"] == [[0, 5], [5, 6]]


def test_the_checkpoint_after_the_migration_signs_both_chains(upgraded: dict[str, Any]) -> None:
    chains = upgraded["checkpoint"]["chains"]
    assert {name: head["rows"] for name, head in chains.items()} == {"0": 4, "5": 2}


def test_a_cut_tail_of_the_old_rows_is_still_caught(upgraded: dict[str, Any]) -> None:
    done = upgraded["verify_cut"]
    assert done.returncode == 1
    assert "newest rows are missing" in done.stderr
