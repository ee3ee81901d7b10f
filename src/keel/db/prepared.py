"""Statements prepared once per PostgreSQL connection at the protocol level (issue #21, sessions 36 and 38).

Django sends every statement with its parameters bound on the client (client-side binding): PostgreSQL
parses and plans each one every time. A statement run here is prepared once per connection with libpq's Parse
(`pgconn.prepare`: the same name space as SQL's PREPARE, so `DEALLOCATE ALL` and `DISCARD ALL` drop it) and
each run sends Bind and Execute with its parameters apart from the text (`pgconn.exec_prepared`, which
releases the GIL while it waits): the backend neither parses nor plans it again.

Safe where a connection's server session changes under it (a pooler handing over another session, `DISCARD
ALL`, a restart): outside a transaction each answer says what to send next, "no such statement" (26000)
prepare it again, "already there" (42P05) execute it alone, and the third attempt's error is raised; inside
a transaction the first error aborts it, so it is raised as it comes and this connection's record of the
statement follows the answer (the next transaction prepares again, or not). A pooler that tracks
protocol-level prepared statements (PgBouncer 1.21's `max_prepared_statements`) never shows either. The
record holds a statement from its successful Parse on: a rollback does not undo a Parse, so a first Execute
that fails (a unique violation, a timeout) leaves it on the server. A 42P05 inside a transaction (a record
that lost a statement the session has: a pooler's) still aborts that transaction: avoiding it would take a
round trip per Parse (a savepoint, or asking `pg_prepared_statements`).

A migration that changes the type of a column a statement returns makes its next Execute answer "cached
plan must not change result type" (0A000): the statement is closed at once (the protocol's Close, accepted
in an aborted transaction) and left out of the record. Outside a transaction it is prepared again and
answers; inside one, that transaction fails (where the ORM's statement, planned anew, would not) and the
next prepares it against the new schema. The name comes from the statement's text, so a new text never
meets an older statement of the same name.

Errors go through Django's `wrap_database_errors` (Django's exception classes, the statement's own error
raised once; a parameter the driver refuses, a NUL in a text, too; a connection lost mid-statement as
OperationalError, as a psycopg cursor raises it); a statement shows in Django's query log
(`connection.queries`, CaptureQueriesContext) and goes through its execute wrappers; the transaction Django
opened is begun first when this is its first statement, as psycopg would. SQLite has none of this:
callers keep their cursor's `execute` there.

Used by /healthz's probe (`keel.web.health`) and the hand-written hot statements of `keel.db.rows` that
ask for it (`prepared=True`: the check-in's)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast
from weakref import WeakSet

from django.conf import settings
from django.db import DatabaseError
from django.db.backends.utils import CursorDebugWrapper
from psycopg import errors as pg_errors
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer

from keel.db.params import SQLParam

if TYPE_CHECKING:
    import psycopg
    from django.db.backends.utils import CursorWrapper
    from psycopg.rows import TupleRow

    Driver = psycopg.Connection[TupleRow]

T = TypeVar("T")
Row = tuple[Any, ...]  # a statement's row, as the driver loads it (free-form: any columns)

INVALID_STATEMENT_NAME = "26000"  # SQLSTATE invalid_sql_statement_name: no such prepared statement
DUPLICATE_PREPARED = "42P05"  # SQLSTATE duplicate_prepared_statement: the session already has it
# SQLSTATE feature_not_supported: for a statement prepared earlier, "cached plan must not change result
# type" (a migration changed the type of a column it returns since its Parse).
STALE_PLAN = "0A000"
ATTEMPTS = 3

# Per statement name, the driver connections (psycopg's, one per Django connection and reconnection) it
# is prepared on; a new connection is in none, a closed one leaves them when collected.
_prepared_on: dict[str, WeakSet[object]] = {}


def prepared_on(name: str) -> WeakSet[object]:
    """The driver connections this process prepared the statement `name` on."""
    return _prepared_on.setdefault(name, WeakSet())


def _answer(pgconn: pq.abc.PGconn, result: pq.abc.PGresult, encoding: str) -> pq.abc.PGresult:
    """The result, or its error as a psycopg cursor raises it: a connection lost on the way (libpq's
    answer carries no SQLSTATE then) as OperationalError, which psycopg raises when its I/O fails."""
    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return result
    error = pg_errors.error_from_result(result, encoding=encoding)
    if error.sqlstate is None and pgconn.status == pq.ConnStatus.BAD:
        raise pg_errors.OperationalError(str(error))
    raise error


def _begin(driver: Driver) -> None:
    """BEGIN, when Django opened a transaction (autocommit off) and this is its first statement: what
    psycopg sends before a cursor's first statement (the same command: no isolation level or access mode
    is set on Keel's connections; `run` is not used when one is)."""
    pgconn = driver.pgconn
    if not driver.autocommit and pgconn.transaction_status == pq.TransactionStatus.IDLE:
        _answer(pgconn, pgconn.exec_(b"BEGIN"), driver.info.encoding)


def plain_begin(driver: Driver) -> bool:
    """Whether psycopg would begin this connection's transactions with a plain BEGIN."""
    return driver.isolation_level is None and driver.read_only is None and driver.deferrable is None


def send(
    cursor: CursorWrapper,
    driver: Driver,
    name: str,
    text: str,
    params: Sequence[bytes | None],
    *,
    prepare: bool,
    shown: Callable[[], str],
    types: Sequence[int] = (),
) -> pq.abc.PGresult:
    """One attempt: Parse `text` (numbered parameters) as `name` when `prepare` (its own round trip), then
    Bind and Execute it with `params` in text format (typed by `types`, oids, or by the server from the
    statement). Logged in Django's query log as `shown()`."""
    pgconn, encoding = driver.pgconn, driver.info.encoding
    log = cursor.debug_sql(shown(), params) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
    with log, cursor.db.wrap_database_errors:
        _begin(driver)
        if prepare:
            _answer(pgconn, pgconn.prepare(name.encode(), text.encode(), types or None), encoding)
            # The session has it from now on, whatever comes of the Execute: a rollback leaves it there.
            prepared_on(name).add(driver)
        # A None is sent as NULL (libpq's; psycopg's stub leaves it out).
        return _answer(pgconn, pgconn.exec_prepared(name.encode(), cast("Sequence[bytes]", params)), encoding)


def sqlstate(error: DatabaseError) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


def _close(cursor: CursorWrapper, driver: Driver, name: str) -> None:
    """The protocol's Close of the statement `name`: accepted in an aborted transaction, and no error when
    the session has no such statement (libpq 17 and later: psycopg[binary] 3.3.9's is 18). Behind a pooler
    it may reach another session: the stale one answers 0A000 again when met, and is closed then."""
    pgconn = driver.pgconn
    with cursor.db.wrap_database_errors:
        _answer(pgconn, pgconn.close_prepared(name.encode()), driver.info.encoding)


def _follow(
    cursor: CursorWrapper, driver: Driver, name: str, state: str | None, *, parsed: bool
) -> bool | None:
    """This connection's record of `name` after an attempt's error `state` (`parsed`: that attempt sent
    Parse): whether the next attempt prepares it, or None when the error is the statement's own."""
    drivers = prepared_on(name)
    if state == INVALID_STATEMENT_NAME:
        drivers.discard(driver)
        return True
    if state == DUPLICATE_PREPARED:
        drivers.add(driver)
        return False
    if state == STALE_PLAN and not parsed:  # planned before a migration changed its result's type
        _close(cursor, driver, name)
        drivers.discard(driver)
        return True
    return None


def run(cursor: CursorWrapper, name: str, attempt: Callable[[CursorWrapper, Driver, bool], T]) -> T:
    """`attempt(cursor, driver, prepare)` (a `send`) until the server session has the statement `name`:
    prepared first on a connection not known to have it; outside a transaction 26000 prepares it again,
    42P05 executes it alone (a pooler's sessions may alternate between the two) and 0A000 on a statement
    prepared earlier closes it and prepares it again, three attempts in all."""
    db = cursor.db
    driver = db.connection
    retry = not db.in_atomic_block  # inside one, a failed statement aborts the transaction
    prepare = driver not in prepared_on(name)
    for number in range(ATTEMPTS):
        try:
            found = attempt(cursor, driver, prepare)
            break
        except DatabaseError as error:
            following = _follow(cursor, driver, name, sqlstate(error), parsed=prepare)
            if not retry or number == ATTEMPTS - 1 or following is None:
                raise
            prepare = following
    prepared_on(name).add(driver)
    return found


_MARK = re.compile(r"%s")


@cache
def _named(sql: str) -> tuple[str, str]:
    """A statement's name (from its text: a pooler's session may keep another version's statement of the
    same purpose across a deploy, a new text never meets it) and its text with numbered parameters."""
    count = iter(range(1, sql.count("%s") + 1))
    digest = hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    return f"keel_{digest}", _MARK.sub(lambda _m: f"${next(count)}", sql)


def usable(cursor: CursorWrapper) -> bool:
    """Whether `execute` runs on this cursor's connection: PostgreSQL, Django's own psycopg cursor, and the
    deployment has not turned prepared statements off (KEEL_DATABASE_PREPARED: a transaction pooler)."""
    db = cursor.db
    return (
        settings.KEEL_DATABASE_PREPARED
        and db.vendor == "postgresql"
        and db.connection is not None
        and plain_begin(db.connection)
    )


def execute(cursor: CursorWrapper, sql: str, params: Sequence[SQLParam]) -> tuple[list[Row], int]:
    """`cursor.execute(sql, params)` (`%s` parameters, no literal `%`), the statement prepared once per
    connection: its rows, as the cursor would return them (its loaders: Django's time zone's included),
    and its row count. Only where `usable(cursor)`."""

    def executor(
        sql: str, params: Sequence[SQLParam], _many: bool, _context: object
    ) -> tuple[list[Row], int]:
        cursor.db.validate_no_broken_transaction()
        name, text = _named(sql)
        tx = Transformer(cursor.cursor)  # the psycopg cursor: its adapters and loaders
        with cursor.db.wrap_database_errors:  # a value refused (a NUL in a text): Django's DataError
            values = tx.dump_sequence(params, [PyFormat.TEXT] * len(params))  # typed by the server, at Parse
        sent = [None if value is None else bytes(value) for value in values]
        result = run(
            cursor,
            name,
            lambda c, d, prepare: send(
                c, d, name, text, sent, prepare=prepare, shown=lambda: cursor.db.ops.compose_sql(sql, params)
            ),
        )
        tx.set_pgresult(result)
        found = tx.load_rows(0, result.ntuples, tuple) if result.ntuples else []
        return found, result.command_tuples or 0

    found: tuple[list[Row], int] = cursor._execute_with_wrappers(sql, params, False, executor)
    return found
