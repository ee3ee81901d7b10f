"""A check-in that raises a flag appends its audit rows last (issue #21, lane perf22, `audit.deferred`).

Before, the flag's audit row was appended as the flag was raised, so the program's chain head was locked from
there to the commit, over the idempotency key's insert and the encryption of its answer. Now both rows (the
flag's, then the check-in's) are appended after every other statement of the check-in: the head's lock is
the first of the last statements, each after it writes the audit trail. Run on SQLite and PostgreSQL (there
the lock is `SELECT ... FOR UPDATE`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keel.audit import services as audit
from keel.audit.models import AuditEvent
from keel.patients.models import PatientFlag
from keel.recovery import services as recovery
from keel.recovery.schemas import CheckInIn
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _audit_statement(sql: str) -> bool:
    return "audit_" in sql or "SAVEPOINT" in sql  # the audit rows, their head, the block's savepoint


def test_a_flag_raising_check_in_locks_the_chain_head_last(world: World) -> None:
    flags = PatientFlag.objects.filter(patient=world.alice).count()
    body = CheckInIn.posted({"craving": 3, "mood": 4, "used": True, "medication": "taken"})
    with CaptureQueriesContext(connection) as queries:
        outcome = recovery.record_checkin(by=world.alice.user, data=body, key="audit-last")
    assert outcome.body["nudges"] == ["reported_use"]
    assert PatientFlag.objects.filter(patient=world.alice).count() == flags + 1
    sent = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, sql in enumerate(sent) if "audit_auditchainhead" in sql and sql.startswith("SELECT"))
    if connection.vendor == "postgresql":
        assert sent[lock].endswith("FOR UPDATE")
    before, after = sent[:lock], sent[lock:]
    assert not any("audit_" in sql for sql in before)  # no audit statement before the lock
    assert any("recovery_idempotencykey" in sql and sql.startswith("INSERT") for sql in before)
    assert any("patients_patientflag" in sql and sql.startswith("INSERT") for sql in before)
    assert all(_audit_statement(sql) for sql in after), after
    assert sum('INSERT INTO "audit_auditevent"' in sql for sql in after) == 2
    flag_row, checkin_row = AuditEvent.objects.order_by("-id")[:2][::-1]
    assert (flag_row.target_type, checkin_row.target_type) == ("patient_flag", "checkin")
    assert checkin_row.prev_hash == flag_row.hash
    assert audit.verify_chain().ok
