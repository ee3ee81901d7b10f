"""Finding 1 (re38p): a prepared statement whose first run on a connection fails inside a transaction
poisons the next transaction that runs it on that connection.

What the user does: on a fresh connection (a worker started, CONN_MAX_AGE renewed it, a terminated backend
replaced) the first run of a hot prepared statement fails at Execute inside a transaction: an integrity
error (the idempotency key's unique constraint in a double submit), a lock or statement timeout on the audit
chain's head, a deadlock. The Parse had succeeded, and a protocol-level prepared statement is NOT undone by
the transaction's rollback: the server session keeps it. But `keel.db.prepared.run` records the statement
as prepared on this connection only after a successful Execute. The next transaction on the same connection
(the next person's check-in) sends Parse again, gets 42P05 "prepared statement already exists", and inside a
transaction there is no retry: the whole write is aborted (a ProgrammingError: a 500 for a check-in that
did nothing wrong).

Severity: medium (an innocent next write fails; self-heals after one failure, no acknowledged write lost).
What should hold: after any failure of a statement's Execute, the next transaction runs it without error
(record the statement as prepared once Parse succeeded, or treat 42P05 at Parse as "execute it alone",
which needs no retry since Parse's 42P05 ... still aborts: so record it right after Parse)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from keel.db import rows

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="protocol-level: PostgreSQL's")

MAKE_HEAD = (
    'INSERT INTO "audit_auditchainhead" ("id", "last_event_id", "last_hash") '
    'VALUES (%s, 0, %s) RETURNING "id"'
)


def _make_head(chain_id: int) -> None:
    with connection.cursor() as cursor:
        rows.execute(cursor, MAKE_HEAD, [chain_id, "genesis"], prepared=True)


@pytest.mark.django_db(transaction=True)
def test_the_next_transaction_runs_a_statement_whose_first_run_failed() -> None:
    connection.close()  # a fresh connection: the statement is not prepared on it yet
    with connection.cursor() as cursor:  # the row the first run will collide with, written by the ORM path
        cursor.execute(MAKE_HEAD, [990_381, "genesis"])
    with pytest.raises(IntegrityError), transaction.atomic():
        _make_head(990_381)  # Parse succeeds, Execute fails: the transaction rolls back
    with transaction.atomic():
        _make_head(990_382)  # another write, innocent: must succeed
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "audit_auditchainhead" WHERE "id" = 990382')
        assert cursor.fetchone() == (1,)
