"""SECURITY.md T15: on PostgreSQL the application connects as a role that cannot UPDATE, DELETE or TRUNCATE
audit rows; the migrations' role owns the table and grants the rest (`keel audit app-role ROLE`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from keel.audit import services as audit

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")


@pytest.fixture
def app_role() -> Iterator[str]:
    """A role of this test's own (roles are cluster-wide; the test's transaction takes it away again)."""
    role = "keel_app_" + "".join(c for c in str(connection.settings_dict["NAME"]) if c.isalnum())[-40:]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("audit", "app-role", role)
    yield role


def _as(role: str, sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        cursor.execute(sql, params)


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "TRUNCATE audit_auditevent -- %s",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER USER -- %s",
    ],
)
def test_the_app_role_cannot_change_audit_rows(app_role: str, sql: str) -> None:
    event = audit.record(actor=None, action="read", target_type="thing", target_id=1)
    with pytest.raises(DatabaseError, match=r"permission denied|must be owner"):
        _as(app_role, sql, [event.pk])


@postgres_only
def test_the_app_role_can_append_and_read(app_role: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        audit.record(actor=None, action="read", target_type="thing", target_id=2)
        assert audit.verify_chain().ok


@postgres_only
def test_the_app_role_can_begin_a_programs_chain(app_role: str) -> None:
    """Issue #21: a program's first event creates its chain head row, as the application's role."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        event = audit.record(actor=None, action="read", program_id=987654, target_type="thing", target_id=3)
        assert (event.chain, audit.verify_chain().ok) == (987654, True)


@postgres_only
def test_the_app_role_can_write_the_other_tables(app_role: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        cursor.execute("UPDATE audit_auditchainhead SET last_event_id = last_event_id WHERE id = 0")
        cursor.execute("DELETE FROM django_session WHERE expire_date < now() - interval '100 years'")


@postgres_only
def test_the_deploy_check_warns_when_keel_connects_as_a_role_that_can_change_audit_rows() -> None:
    from keel.audit.checks import audit_rows_protected

    assert [w.id for w in audit_rows_protected(None, databases=["default"])] == ["keel.audit.W001"]


@postgres_only
def test_the_deploy_check_is_quiet_for_the_app_role(app_role: str) -> None:
    from keel.audit.checks import audit_rows_protected

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        assert audit_rows_protected(None, databases=["default"]) == []


def test_the_deploy_check_has_nothing_to_say_on_sqlite_or_without_a_database() -> None:
    from keel.audit.checks import audit_rows_protected

    databases = ["default"] if connection.vendor == "sqlite" else []
    assert audit_rows_protected(None, databases=databases) == []


def test_the_grants_are_printable() -> None:
    statements = audit.app_role_statements("keel_app")
    assert statements[-1].startswith("REVOKE UPDATE, DELETE, TRUNCATE")
    assert "audit_auditevent" in statements[-1]


@pytest.mark.parametrize("role", ["", "x; DROP TABLE audit_auditevent", '"quoted"', "1abc", "a" * 64])
def test_a_bad_role_name_is_exit_2(role: str) -> None:
    with pytest.raises(CommandError) as error:
        call_command("audit", "app-role", role, "--sql")
    assert error.value.returncode == 2


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite has no roles")
def test_sqlite_says_it_has_no_roles() -> None:
    with pytest.raises(CommandError) as error:
        call_command("audit", "app-role", "keel_app")
    assert error.value.returncode == 2
    assert "only PostgreSQL" in str(error.value)
