"""Finding 2 (re38p): after a migration changes a column's type that a hot prepared statement returns, every
check-in on a connection that prepared it fails until the connection is closed (CONN_MAX_AGE, 60 s).

What the user does: an operator deploys a release whose migration widens a column a hot statement reads
(Django's AlterField of a CharField's max_length: `ALTER COLUMN ... TYPE varchar(N)`, here the audit chain
head's `last_hash`, read under lock by every audited write). Web workers keep serving on their persistent
connections while `keel migrate` runs and until they restart. The statement prepared at the protocol level
has a fixed result type, so PostgreSQL answers "cached plan must not change result type" (0A000) on every
Execute. `keel.db.prepared.run` does not retry it and keeps its record that the connection has the
statement, so not only the first transaction fails: EVERY audited write and check-in on that connection
fails (a 500) for as long as the connection lives. The ORM's statements (client-side binding, psycopg never
prepares them) are unaffected: this is new with session 38.

Severity: medium (writes refused during a deploy window, per connection up to CONN_MAX_AGE; nothing lost).
What should hold: at most the transaction that meets the changed plan fails; on 0A000 the statement is
deallocated (or forgotten) so the next transaction prepares it again against the new schema."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from keel.db import rows

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="protocol-level: PostgreSQL's")

HEAD = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = %s'
CHAIN = 990_383


def _head() -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        return rows.execute(cursor, HEAD, [CHAIN], prepared=True)


def _alter(length: int) -> None:
    """The migration, run by another process (`keel migrate`) on its own connection."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute(f'ALTER TABLE "audit_auditchainhead" ALTER COLUMN "last_hash" TYPE varchar({length})')


@pytest.fixture
def widened() -> Iterator[None]:
    try:
        yield
    finally:
        connection.close()
        _alter(64)  # the test database's schema as it was


@pytest.mark.django_db(transaction=True)
def test_only_the_first_transaction_after_a_migration_meets_the_changed_plan(widened: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "audit_auditchainhead" ("id", "last_event_id", "last_hash") VALUES (%s, 0, %s)',
            [CHAIN, "genesis"],
        )
    _head()  # prepared on this (persistent) connection
    _alter(128)
    with pytest.raises(DatabaseError), transaction.atomic():
        _head()  # the first transaction meets the changed plan: tolerated
    with transaction.atomic():
        assert _head() == [("genesis",)]
