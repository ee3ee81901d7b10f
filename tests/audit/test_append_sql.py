"""The audit append in hand-written SQL (`audit.record`, issue #21: every audited write runs it; on
PostgreSQL the row's insert and the chain head's update are one statement) writes what the ORM reads back:
the row as returned, with its pk, each chain's head naming its newest row and hash, and every chain
verifying. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from keel.audit import chain
from keel.audit import services as audit
from keel.audit.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def _values(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_each_appended_row_is_stored_as_returned_and_its_chain_head_names_it(
    settings: SettingsWrapper,
) -> None:
    settings.KEEL_AUDIT_KEYS = chain.new_key_spec("k1")
    written: list[AuditEvent] = []
    for n in range(4):
        for program in (301, 302, None):
            written.append(
                audit.record(
                    actor=None,
                    action="update",
                    program_id=program,
                    patient_id=n + 1,
                    target_type="checkin",
                    target_id=n,
                    reason="r" if n % 2 else "",
                    detail={"n": n, "word": "café"},
                )
            )
    assert len({e.pk for e in written}) == len(written)
    for event in written:
        stored = AuditEvent.objects.get(pk=event.pk)
        assert _values(stored) == _values(event)
    for program in (301, 302, None):
        mine = [e for e in written if e.program_id == program]
        head = AuditChainHead.objects.get(pk=chain.chain_of(program))
        assert head.last_event_id == mine[-1].pk
        assert head.last_hash == mine[-1].hash
        assert [e.prev_hash for e in mine[1:]] == [e.hash for e in mine[:-1]]
    report = audit.verify_chain()
    assert report.ok, report.problem
