"""PostgreSQL: the application's role cannot change audit rows (`keel audit app-role`)."""

from __future__ import annotations

from django.db import connection, transaction

AUDIT_TABLE = "audit_auditevent"


def app_role_statements(role: str) -> list[str]:
    """The owner's grants to the application role: every table and sequence of the schema (now and, through
    default privileges, the tables later migrations create), then UPDATE, DELETE and TRUNCATE of the audit
    rows taken back. ValueError when `role` is not a plain role name."""
    if not (
        0 < len(role) <= 63 and role.replace("_", "").isalnum() and role.isascii() and not role[0].isdigit()
    ):
        raise ValueError(
            "app-role: a role name is letters, digits and _, at most 63, not starting with a digit"
        )
    name = f'"{role}"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {name}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_TABLE} FROM {name}, PUBLIC",
    ]


def apply_app_role(role: str) -> None:
    """Run app_role_statements as the connected (owner) role, in one transaction."""
    statements = app_role_statements(role)
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
