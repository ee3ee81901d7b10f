"""Write and verify the audit trail.

Every record() runs in the caller's transaction: roll back, and the row is gone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from keel.audit import context
from keel.audit.models import Action, AuditChainHead, AuditEvent, Outcome
from keel.db import rows

GENESIS_HASH = "0" * 64
SELF_GUIDED = "self_guided"  # keel.accounts.models.Role.SELF_GUIDED (the audit app imports no app)
_HASHED_FIELDS = (
    "occurred_at",
    "actor_id",
    "actor_role",
    "program_id",
    "patient_id",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "reason",
    "detail",
    "request_id",
    "ip_address",
    "channel",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def compute_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event's fields."""
    payload = {name: _canonical(fields[name]) for name in _HASHED_FIELDS}
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256((prev_hash + "\n" + body).encode()).hexdigest()


_SELECT_HEAD = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = 1'
_SELECT_HEAD_FOR_UPDATE = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = 1 FOR UPDATE'


def _lock_head() -> str:
    """The chain head's hash, its row locked until the caller's transaction ends (on SQLite the write
    transaction already holds the only write lock). Creates the head row if a flushed database lacks it."""
    select = _SELECT_HEAD_FOR_UPDATE if connection.features.has_select_for_update else _SELECT_HEAD
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(select)
            row = cursor.fetchone()
            if row is not None:
                return str(row[0])
            cursor.execute(
                'INSERT INTO "audit_auditchainhead" ("id", "last_event_id", "last_hash") VALUES (1, 0, %s) '
                'ON CONFLICT ("id") DO NOTHING',
                [GENESIS_HASH],
            )
    raise RuntimeError("the audit chain head row could not be created")


def record(
    *,
    actor: Any | None,
    action: Action | str,
    patient_id: int | None = None,
    program_id: int | None = None,
    target_type: str = "",
    target_id: str | int = "",
    outcome: Outcome | str = Outcome.SUCCESS,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain. `actor` is a User (or None for anonymous/unknown).

    Three statements in hand-written SQL (`keel.db.rows`): every audited request runs this, and the chain
    head stays locked from here to the commit."""
    ctx = context.current()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
        actor_role = str(getattr(actor, "role", ""))
    else:
        actor_role = ""
    ip_address = ctx.ip_address
    if actor_role == SELF_GUIDED:
        # A self-guided account's data is its own, not a program's record, and is deleted for good on request:
        # its events are kept (the chain and the counts stay whole) but name no one and no record.
        actor_id = patient_id = program_id = None
        target_id, detail, ip_address = "", {}, None
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "program_id": program_id,
        "patient_id": patient_id,
        "action": str(action),
        "target_type": target_type,
        "target_id": str(target_id),
        "outcome": str(outcome),
        "reason": reason[:500],
        "detail": detail or {},
        "request_id": ctx.request_id,
        "ip_address": ip_address,
        "channel": ctx.channel,
    }
    with transaction.atomic(savepoint=False):  # joins the caller's transaction: a failure undoes both
        prev_hash = _lock_head()
        digest = compute_hash(fields, prev_hash)
        event = rows.insert(AuditEvent(prev_hash=prev_hash, hash=digest, **fields))
        with connection.cursor() as cursor:
            cursor.execute(
                'UPDATE "audit_auditchainhead" SET "last_event_id" = %s, "last_hash" = %s WHERE "id" = 1',
                [event.pk, digest],
            )
    return event


@dataclass(frozen=True)
class ChainReport:
    """The verifier's finding: how many rows it checked and the first broken one, if any."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    problem: str = ""


def _fields_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _HASHED_FIELDS}


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Recompute every hash in id order; name the first row whose content or link does not match."""
    rows = events if events is not None else AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    prev_hash = GENESIS_HASH
    checked = 0
    last: AuditEvent | None = None
    for event in rows:
        if event.prev_hash != prev_hash:
            return ChainReport(
                False,
                checked,
                event.pk,
                "its link to the previous row is broken (a row was deleted or changed)",
            )
        if compute_hash(_fields_of(event), event.prev_hash) != event.hash:
            return ChainReport(
                False, checked, event.pk, "its content does not match its hash (it was changed)"
            )
        prev_hash = event.hash
        last = event
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.last_event_id and (last is None or head.last_event_id != last.pk):
        return ChainReport(
            False,
            checked,
            head.last_event_id,
            "the newest rows are missing (the chain head points past the last row)",
        )
    if head is not None and last is not None and head.last_hash != last.hash:
        return ChainReport(False, checked, last.pk, "the newest row does not match the chain head")
    return ChainReport(True, checked)


def record_for_patient(
    actor: Any, patient: Any, action: Action | str, target_type: str, target_id: str | int = "", **kw: Any
) -> AuditEvent:
    """One event about a patient's record: the patient and program ids come from the patient; the target
    defaults to the patient."""
    return record(
        actor=actor,
        action=action,
        patient_id=patient.pk,
        program_id=patient.program_id,
        target_type=target_type,
        target_id=target_id if target_id != "" else patient.pk,
        **kw,
    )
