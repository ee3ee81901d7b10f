"""SECURITY.md T2/T2b: one row per access, same transaction as the write, append-only, tamper-evident."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from keel.audit import services as audit
from keel.audit.models import AuditEvent
from tests.conftest import World, audit_count

pytestmark = pytest.mark.django_db


def _seed(n: int = 6) -> list[AuditEvent]:
    return [audit.record(actor=None, action="read", target_type="thing", target_id=i) for i in range(n)]


def _without_guard(sql: str, params: list[object]) -> None:
    """Tamper as someone with direct database access would: around the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER audit_auditevent_no_update")
            cursor.execute(sql, params)


def test_an_untouched_chain_verifies() -> None:
    _seed()
    report = audit.verify_chain()
    assert report.ok
    assert report.checked == audit_count()


def test_each_row_links_to_the_one_before() -> None:
    events = _seed(3)
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_the_database_refuses_to_update_an_audit_row() -> None:
    event = _seed(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [event.pk])


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL-only guard; SQLite relies on the chain"
)
def test_postgres_refuses_to_delete_an_audit_row() -> None:
    event = _seed(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def test_a_changed_row_is_named_by_the_verifier() -> None:
    events = _seed()
    _without_guard("UPDATE audit_auditevent SET reason = 'edited' WHERE id = %s", [events[3].pk])
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_id == events[3].pk
    assert "changed" in report.problem


def test_a_deleted_row_is_found_at_the_next_row() -> None:
    events = _seed()
    _without_guard("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_id == events[3].pk


def test_a_deleted_tail_is_found_through_the_chain_head() -> None:
    events = _seed()
    _without_guard("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_id == events[-1].pk


def test_a_recomputed_hash_still_breaks_the_next_link() -> None:
    events = _seed()
    forged = dict(audit._fields_of(events[1]), reason="forged")
    new_hash = audit.compute_hash(forged, events[1].prev_hash)
    _without_guard(
        "UPDATE audit_auditevent SET reason = 'forged', hash = %s WHERE id = %s", [new_hash, events[1].pk]
    )
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_id == events[2].pk


def test_audit_verify_command_exits_nonzero_on_tampering(capsys: pytest.CaptureFixture[str]) -> None:
    events = _seed()
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out
    _without_guard("UPDATE audit_auditevent SET outcome = 'denied' WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    assert error.value.returncode == 1
    assert f"row {events[0].pk}" in str(error.value)


def test_a_rolled_back_write_leaves_no_audit_row() -> None:
    before = audit_count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=None, action="create", target_type="thing", target_id=1)
        raise RuntimeError("the write failed")
    assert audit_count() == before
    assert audit.verify_chain().ok


def test_audit_rows_carry_request_id_ip_and_channel(world: World) -> None:
    from django.test import Client

    from tests.conftest import sign_in

    client = sign_in(Client(REMOTE_ADDR="192.0.2.7"), world.staff["nurse"])
    response = client.get(f"/api/v1/patients/{world.alice.pk}")
    event = AuditEvent.objects.latest("id")
    assert event.request_id == response["X-Request-ID"]
    assert event.ip_address == "192.0.2.7"
    assert event.channel == "api"
    assert event.actor_role == "nurse"
