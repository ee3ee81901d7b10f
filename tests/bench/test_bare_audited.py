"""The bare project's audited write and read (`bench/bare`, issue #21) do what `bench/stack.py` says, so the
"Keel ÷ bare audited" ratios compare like with like: a token read, the row, and one audit row sealed with an
HMAC over the chain head it locks and advances, in one transaction."""

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
import hashlib, hmac, json
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
from bare import views
from bare.models import AuditEvent, ChainHead, Row, Token
ChainHead.objects.create(pk=1, last_hash="0" * 64)
Token.objects.create(key_hash=hashlib.sha256(b"t-1").hexdigest(), name="t-1")
client = Client(SERVER_NAME="127.0.0.1")
body = json.dumps({"name": "x", "score": 3})
post = lambda token: client.post(
    "/insert-audited", body, content_type="application/json", HTTP_AUTHORIZATION="Bearer " + token
)
statuses = [post("t-1").status_code for _ in range(3)]
refused = post("no")
read = client.get("/read-audited/1", HTTP_AUTHORIZATION="Bearer t-1").status_code
read_refused = client.get("/read-audited/1", HTTP_AUTHORIZATION="Bearer no").status_code
prev, sealed = "0" * 64, True
for e in AuditEvent.objects.order_by("pk"):
    fields = {"occurred_at": e.occurred_at.isoformat(), "actor": e.actor, "action": e.action,
              "target_type": e.target_type, "target_id": e.target_id, "detail": e.detail}
    digest = hmac.new(views.AUDIT_KEY, prev.encode() + json.dumps(fields, sort_keys=True).encode(),
                      hashlib.sha256).hexdigest()
    sealed = sealed and e.prev_hash == prev and e.hash == digest
    prev = e.hash
head = ChainHead.objects.get(pk=1)
print(json.dumps({"statuses": statuses, "refused": refused.status_code, "read": read,
                  "read_refused": read_refused,
                  "actions": list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)),
                  "rows": Row.objects.count(),
                  "events": AuditEvent.objects.count(), "sealed": sealed, "head": head.last_hash == prev,
                  "head_event": head.last_event_id == AuditEvent.objects.order_by("pk").last().pk}))
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


def test_each_write_is_created(outcome: dict[str, Any]) -> None:
    assert outcome["statuses"] == [201, 201, 201]


def test_an_unknown_token_is_refused(outcome: dict[str, Any]) -> None:
    assert outcome["refused"] == 401


def test_a_refused_write_writes_nothing(outcome: dict[str, Any]) -> None:
    assert outcome["rows"] == 3


def test_each_write_and_read_appends_one_audit_row(outcome: dict[str, Any]) -> None:
    assert outcome["actions"] == ["create", "create", "create", "read"]


def test_the_audited_read_answers(outcome: dict[str, Any]) -> None:
    assert outcome["read"] == 200


def test_the_audited_read_refuses_an_unknown_token(outcome: dict[str, Any]) -> None:
    assert outcome["read_refused"] == 401


def test_the_rows_form_a_sealed_chain(outcome: dict[str, Any]) -> None:
    assert outcome["sealed"] is True


def test_the_head_holds_the_last_hash(outcome: dict[str, Any]) -> None:
    assert outcome["head"] is True


def test_the_head_names_the_last_row(outcome: dict[str, Any]) -> None:
    assert outcome["head_event"] is True
