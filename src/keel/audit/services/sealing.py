"""Seal and insert audit rows: the chain's keys, its head locked, each row linked and inserted.

Every write runs in the caller's transaction: roll back, and the row is gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

from keel.audit import chain
from keel.audit.models import AuditEvent
from keel.db import rows

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper


def audit_keys() -> tuple[tuple[str, bytes], ...]:
    """The configured HMAC keys, newest (sealing) first."""
    return chain.parse_keys(settings.KEEL_AUDIT_KEYS)


def compute_hash(fields: dict[str, Any], prev_hash: str, key_id: str | None = None) -> str:
    """The row's keyed hash under `key_id` (default: the sealing key)."""
    keys = dict(audit_keys())
    key_id = key_id or audit_keys()[0][0]
    return chain.seal(fields, prev_hash, key_id, keys[key_id])


_SELECT_HEAD = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = %s'
_SELECT_HEAD_FOR_UPDATE = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = %s FOR UPDATE'
_CREATE_HEAD = (
    'INSERT INTO "audit_auditchainhead" ("id", "last_event_id", "last_hash") VALUES (%s, 0, %s) '
    'ON CONFLICT ("id") DO NOTHING'
)


def _lock_head(chain_id: int, cursor: CursorWrapper) -> str:
    """The chain's head hash, its row (and only its row) locked until the caller's transaction ends (on SQLite
    the write transaction already holds the only write lock). Creates the head row on the chain's first event:
    two writers racing to create it both land on the one row (ON CONFLICT DO NOTHING, then the locked
    read)."""
    select = _SELECT_HEAD_FOR_UPDATE if cursor.db.features.has_select_for_update else _SELECT_HEAD
    for _ in range(2):
        # Every audited write locks its head: prepared once per connection on PostgreSQL (`rows.execute`).
        found = rows.execute(cursor, select, [chain_id], prepared=True)
        if found:
            return str(found[0][0])
        cursor.execute(_CREATE_HEAD, [chain_id, chain.genesis(chain_id)])
    raise RuntimeError("the audit chain head row could not be created")


def _write(events: list[tuple[AuditEvent, dict[str, Any]]]) -> None:
    """Seal each event after its chain's head and insert it, advancing the head: every chain's head locked
    first (in chain order, so two writers never wait for each other's heads in turn), then the rows in the
    order they were recorded, each linked to the one before it in its chain."""
    if not events:
        return
    key_id, key = audit_keys()[0]
    # Joins the caller's transaction (a failure undoes both); its statements share one cursor.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        heads = {
            chain_id: _lock_head(chain_id, cursor) for chain_id in sorted({f["chain"] for _, f in events})
        }
        postgres = cursor.db.vendor == "postgresql"
        for event, fields in events:
            prev_hash = heads[fields["chain"]]
            digest = chain.seal(fields, prev_hash, key_id, key)
            event.prev_hash, event.hash, event.key_id = prev_hash, digest, key_id
            if postgres:
                # One round trip for the row and the head (each statement is one to a server on the same
                # cores).
                rows.insert_then(
                    event, _ADVANCE_HEAD_TO_INSERTED, [digest, fields["chain"]], cursor, prepared=True
                )
            else:
                rows.insert(event, cursor)
                cursor.execute(_ADVANCE_HEAD, [event.pk, digest, fields["chain"]])
            heads[fields["chain"]] = digest


_ADVANCE_HEAD = 'UPDATE "audit_auditchainhead" SET "last_event_id" = %s, "last_hash" = %s WHERE "id" = %s'
_ADVANCE_HEAD_TO_INSERTED = (
    'UPDATE "audit_auditchainhead" SET "last_event_id" = (SELECT "id" FROM "inserted"), "last_hash" = %s '
    'WHERE "id" = %s RETURNING "last_event_id"'
)
