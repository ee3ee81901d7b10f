"""The bare project's floor steps (`bench/bare`, `bench/audit_floor.py`, issue #21) do what the bench says:
`/insert-token` is the token read and the insert, nothing audited; `/insert-logged` adds one audit row in the
row's transaction with no chain (no head moved, no seal). So the steps between the bare insert and the bare
audited insert each add one named cost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

SCRIPT = r"""
import hashlib, json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
from bare.models import AuditEvent, ChainHead, Row, Token
ChainHead.objects.create(pk=1, last_hash="0" * 64)
Token.objects.create(key_hash=hashlib.sha256(b"t-1").hexdigest(), name="t-1")
client = Client(SERVER_NAME="127.0.0.1")
body = json.dumps({"name": "x", "score": 3})
post = lambda path, token: client.post(
    path, body, content_type="application/json", HTTP_AUTHORIZATION="Bearer " + token
).status_code
out = {"token": [post("/insert-token", "t-1"), post("/insert-token", "no")]}
out["token_rows"], out["token_events"] = Row.objects.count(), AuditEvent.objects.count()
out["logged"] = [post("/insert-logged", "t-1"), post("/insert-logged", "no")]
out["rows"] = Row.objects.count()
out["events"] = list(AuditEvent.objects.values("actor", "action", "target_id", "hash"))
out["last_row"] = str(Row.objects.order_by("pk").last().pk)
out["head"] = ChainHead.objects.get(pk=1).last_hash
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bare.settings",
        "PYTHONPATH": str(BENCH),
        "BARE_DATA_DIR": str(tmp_path_factory.mktemp("bare")),
    }
    env.pop("BARE_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=BENCH, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_token_step_writes_with_a_known_token_only(outcome: dict[str, Any]) -> None:
    assert outcome["token"] == [201, 401]
    assert outcome["token_rows"] == 1


def test_the_token_step_writes_no_audit_row(outcome: dict[str, Any]) -> None:
    assert outcome["token_events"] == 0


def test_the_logged_step_writes_with_a_known_token_only(outcome: dict[str, Any]) -> None:
    assert outcome["logged"] == [201, 401]
    assert outcome["rows"] == 2


def test_the_logged_step_writes_one_unsealed_audit_row_naming_its_row(outcome: dict[str, Any]) -> None:
    assert outcome["events"] == [
        {"actor": "t-1", "action": "create", "target_id": outcome["last_row"], "hash": ""}
    ]


def test_the_logged_step_moves_no_chain_head(outcome: dict[str, Any]) -> None:
    assert outcome["head"] == "0" * 64
