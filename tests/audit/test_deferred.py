"""`audit.deferred()`: a write's audit rows appended at the end of its transaction (issue #21, lane perf22).

The rows are the same rows, in the write's transaction (SECURITY.md), sealed and linked in the order they were
recorded, every chain verifying; only when they are written moves: after the write's other statements, so the
program's chain head is locked for the last statements only. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from keel.audit import chain
from keel.audit import services as audit
from keel.audit.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db

RIVERSIDE, LAKESIDE = 101, 202  # two programs' ids (the trail stores plain integers)


@pytest.fixture(autouse=True)
def _keys(settings: SettingsWrapper) -> None:
    settings.KEEL_AUDIT_KEYS = chain.new_key_spec("k1")


def _row(program: int | None, n: int) -> AuditEvent:
    return audit.record(
        actor=None, action="update", program_id=program, patient_id=n, target_type="checkin", target_id=n
    )


def _values(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _head_statements(queries: list[dict[str, Any]]) -> list[int]:
    return [i for i, q in enumerate(queries) if "audit_auditchainhead" in q["sql"] and "SELECT" in q["sql"]]


def test_rows_are_written_at_the_end_in_the_order_recorded_and_every_chain_verifies() -> None:
    before = AuditEvent.objects.count()
    with audit.deferred():
        written = [_row(RIVERSIDE, 1), _row(LAKESIDE, 2), _row(RIVERSIDE, 3), _row(None, 4)]
        assert all(event.pk is None for event in written)  # queued, not written
        assert AuditEvent.objects.count() == before
    assert AuditEvent.objects.count() == before + 4
    assert [e.pk for e in written] == sorted(e.pk for e in written)  # the order recorded
    for event in written:
        assert _values(AuditEvent.objects.get(pk=event.pk)) == _values(event)
    first, third = written[0], written[2]
    assert third.prev_hash == first.hash  # linked within its chain
    head = AuditChainHead.objects.get(pk=chain.chain_of(RIVERSIDE))
    assert (head.last_event_id, head.last_hash) == (third.pk, third.hash)
    report = audit.verify_chain()
    assert report.ok, report.problem


def test_the_chain_head_is_locked_after_the_writes_of_the_block() -> None:
    with CaptureQueriesContext(connection) as queries, audit.deferred():
        _row(RIVERSIDE, 1)
        AuditChainHead.objects.filter(pk=990001).update(last_hash="x")  # the write's other statements
        _row(RIVERSIDE, 2)
        AuditChainHead.objects.filter(pk=990002).update(last_hash="y")
    statements = queries.captured_queries
    heads = _head_statements(statements)
    writes = [i for i, q in enumerate(statements) if "990001" in q["sql"] or "990002" in q["sql"]]
    assert len(writes) == 2
    assert heads and heads[0] > max(writes)
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in statements[heads[0]]["sql"]
    after = [q["sql"] for q in statements[heads[0] :]]
    assert all("audit_" in sql or "SAVEPOINT" in sql for sql in after), after
    assert audit.verify_chain().ok


def test_an_error_in_the_block_leaves_no_row() -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ZeroDivisionError), audit.deferred():
        _row(RIVERSIDE, 1)
        1 / 0  # noqa: B018
    assert AuditEvent.objects.count() == before
    assert audit.verify_chain().ok


def test_a_row_in_a_savepoint_rolled_back_goes_with_it_and_the_others_stay() -> None:
    """A row recorded inside a savepoint opened in the block is written there (it could be rolled back
    alone); the rows recorded outside it are still appended at the end."""
    before = AuditEvent.objects.count()
    with audit.deferred():
        kept = _row(RIVERSIDE, 1)
        try:
            with transaction.atomic():
                _row(RIVERSIDE, 2)
                raise LookupError
        except LookupError:
            pass
        with transaction.atomic():
            inner = _row(RIVERSIDE, 3)
        assert inner.pk is not None  # written inside its savepoint
        last = _row(RIVERSIDE, 4)
        assert kept.pk is None and last.pk is None
    rows = list(AuditEvent.objects.filter(pk__gt=0).order_by("id").values_list("patient_id", flat=True))
    assert AuditEvent.objects.count() == before + 3
    assert rows[-3:] == [3, 1, 4]
    assert audit.verify_chain().ok


def test_a_block_inside_another_hands_its_rows_to_the_outer_one() -> None:
    with CaptureQueriesContext(connection) as queries, audit.deferred():
        _row(RIVERSIDE, 1)
        with audit.deferred():
            inner = _row(RIVERSIDE, 2)
        assert inner.pk is None  # still queued: the outer block appends it
        AuditChainHead.objects.filter(pk=990001).update(last_hash="x")
    heads = _head_statements(queries.captured_queries)
    write = next(i for i, q in enumerate(queries.captured_queries) if "990001" in q["sql"])
    assert heads[0] > write
    assert inner.pk is not None
    assert audit.verify_chain().ok


def test_a_row_outside_any_block_is_written_at_once_as_before() -> None:
    with transaction.atomic():
        event = _row(RIVERSIDE, 1)
        assert event.pk is not None
    assert audit.verify_chain().ok
