"""`keel check --deploy --database default`: on PostgreSQL, the role Keel connects as must not be able to
change audit rows (SECURITY.md T15; `keel audit app-role ROLE`, run by the owner, sets that up)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core import checks
from django.db import connections


@checks.register(checks.Tags.database, deploy=True)
def audit_rows_protected(
    app_configs: Sequence[Any] | None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CASE WHEN to_regclass('audit_auditevent') IS NULL THEN false ELSE"
                " has_table_privilege(current_user, 'audit_auditevent', 'UPDATE')"
                " OR has_table_privilege(current_user, 'audit_auditevent', 'DELETE')"
                " OR has_table_privilege(current_user, 'audit_auditevent', 'TRUNCATE') END"
            )
            row = cursor.fetchone()
        if row and row[0]:
            found.append(
                checks.Warning(
                    f"database {alias!r}: Keel's role can UPDATE, DELETE or TRUNCATE audit rows",
                    hint="serve as an application role prepared with `keel audit app-role ROLE` "
                    "(README: The audit trail); keep the owner for `keel migrate`",
                    id="keel.audit.W001",
                )
            )
    return found
