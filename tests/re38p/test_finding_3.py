"""Finding 3 (re38p): a prepared statement's errors raised before or outside libpq's answer escape Django's
exception classes, which keel.db.prepared's docstring promises ("Errors go through Django's
`wrap_database_errors` (Django's exception classes ...)").

What the user does: a value psycopg refuses while dumping it (a NUL character in a text parameter) reaches a
hot statement. `execute` dumps the parameters (`Transformer.dump_sequence`) before `run`/`send`, outside
`wrap_database_errors`: the caller gets `psycopg.DataError`, not `django.db.DataError`. An `except
DatabaseError` (Django's: /healthz's probe, `keel audit`) does not catch it; Django's `errors_occurred`
bookkeeping is skipped. The same statement through the ORM's cursor raises `django.db.DataError`. (The web
middleware refuses NUL in queries, forms and JSON bodies, and the idempotency key must be printable, so
this is reached by other routes only: a header, a CLI, a job.)

Severity: low (a contract break; the write is still refused and nothing is half-written).
What should hold: the prepared path raises the exception class the ORM's cursor raises."""

from __future__ import annotations

import pytest
from django.db import DataError, connection

from keel.db import rows

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="protocol-level: PostgreSQL's")

ECHO = "SELECT %s::text"


@pytest.mark.django_db(transaction=True)
def test_a_nul_in_a_prepared_statements_parameter_raises_djangos_data_error_as_the_orm_does() -> None:
    with connection.cursor() as cursor, pytest.raises(DataError):
        cursor.execute(ECHO, ["a\x00b"])  # the ORM's cursor: Django's DataError
    with connection.cursor() as cursor, pytest.raises(DataError):
        rows.execute(cursor, ECHO, ["a\x00b"], prepared=True)
