"""Re-seal the rows written before the keyed chain (migration 0003), and say so in the trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from keel.audit import chain
from keel.audit.chain import GENESIS_HASH
from keel.audit.models import Action, Outcome
from keel.audit.services.recording import AUDIT_CHAIN
from keel.audit.services.sealing import audit_keys
from keel.audit.services.verification import _fields_of


@contextmanager
def _audit_rows_writable(conn: BaseDatabaseWrapper) -> Iterator[None]:
    """Lift the append-only trigger for the duration (migrations only: they run as the table's owner)."""
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update")
        elif conn.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
        yield
        if conn.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_no_update")
        elif conn.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;"
            )


def reseal_unkeyed(event_model: Any, head_model: Any, conn: BaseDatabaseWrapper, *, head_id: int = 0) -> int:
    """Seal every row written before the keyed chain with the sealing key, in id order; say so in the trail.

    The unkeyed SHA-256 chain is checked first: where it was already broken, the re-sealing event records the
    row and the problem (re-sealing must not launder earlier tampering). Returns the count re-sealed.

    The unkeyed rows predate per-program chains: they are one chain, whose head row is `head_id` (0, chain 0's
    head; 1 when migration 0003 runs, before 0004 made the one head row chain 0's)."""
    if not event_model.objects.filter(key_id="").exists():
        return 0
    key_id, key = audit_keys()[0]
    legacy_prev = new_prev = GENESIS_HASH
    broken = ""
    count = 0
    last_id = 0
    with _audit_rows_writable(conn):
        for event in event_model.objects.order_by("id").iterator(chunk_size=2000):
            fields = _fields_of(event)
            if not broken and (
                event.prev_hash != legacy_prev or chain.legacy_hash(fields, event.prev_hash) != event.hash
            ):
                broken = f"the unkeyed chain was already broken at row {event.pk}"
            legacy_prev = event.hash
            digest = chain.seal(fields, new_prev, key_id, key)
            event_model.objects.filter(pk=event.pk).update(prev_hash=new_prev, hash=digest, key_id=key_id)
            new_prev, last_id, count = digest, event.pk, count + 1
    fields = {
        "occurred_at": timezone.now(),
        "actor_id": None,
        "actor_role": "",
        "program_id": None,
        "patient_id": None,
        "action": str(Action.UPDATE),
        "target_type": AUDIT_CHAIN,
        "target_id": str(last_id),
        "outcome": str(Outcome.FAILURE if broken else Outcome.SUCCESS),
        "reason": f"{count} rows re-sealed with audit key {key_id}"
        + (f"; {broken}" if broken else "; the unkeyed chain verified"),
        "detail": {},
        "request_id": "",
        "ip_address": None,
        "channel": "cli",
    }
    digest = chain.seal(fields, new_prev, key_id, key)
    event = event_model.objects.create(prev_hash=new_prev, hash=digest, key_id=key_id, **fields)
    head_model.objects.update_or_create(id=head_id, defaults={"last_event_id": event.pk, "last_hash": digest})
    return count
