"""Hand-written SQL for the few hot paths, returning and taking ordinary model instances.

The ORM spends about 150-350 us of Python building each statement; the database runs it in about 10. Every
API write pays that for its token, its patient, its rows and its audit row, so the busiest paths (token
sign-in, the patient's own record, the audit append, the daily check-in) use these helpers instead. They
stay small on purpose:

- `fetch` runs `SELECT <the columns of one or more models> FROM ... WHERE ...` and returns model instances,
  with values converted exactly as the ORM converts them (the same converters, cached per connection);
- `insert` and `update` write one instance with the values Django's own save would send (`pre_save`, then
  `get_db_prep_save`), so defaults, `auto_now` and JSON, date and boolean adaptation are the ORM's;
  `insert_unless_conflict` (`ON CONFLICT (...) DO NOTHING`) and `update(..., when=...)` write only if the
  row is as the caller read it, in the same one statement; with `locked` (PostgreSQL, a `Locked`) the same
  statement first locks another row the write reads (the check-in's patient lock, one round trip fewer).

Everything else stays on the ORM. The SQL written with these helpers is portable between SQLite and
PostgreSQL (`%s` parameters, `RETURNING`, `ON CONFLICT`, no vendor functions), except `insert_then`
and `Locked` (PostgreSQL only: a CTE; their callers keep the portable path for SQLite); the suite runs it on
both. Table and column
names in the statements built here come from model metadata, never from input; values are always parameters.

The hand-written paths (the check-in, the dose and its context, the dosing row, the row after a dose and the
still-due count, the audit append, the session, user, token and TOTP device reads in `keel.accounts`, the
scoped patient in `keel.access.policy`, `effective_policy`'s one read, the directory search, the measures'
`day_runs`, the health probe and the worker's health, a flag's insert (`raise_flag`) and a hold's locked
read of the take-home plans) stay only while `bench/engine.py` and its `bench/` neighbours (`dose_cpu.py`)
show they pay, as does the SQLite writer queue (`keel.db.sqlite3`). Each statement has a test
holding it to the ORM query it replaced, on SQLite and PostgreSQL: tests/db/test_rows.py, the
tests/<app>/test_*_sql.py files and the tests their docstrings name; tests/db/test_django_internals.py fails
when a Django internal used here changes. The caseload stays the ORM's, with PostgreSQL's JIT off
(`keel.db.planner`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from keel.db.params import SQLParam
from keel.db.prepared import Row
from keel.db.prepared import execute as execute_prepared
from keel.db.prepared import usable as prepared_usable

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


Unread = tuple[str, ...]  # the attnames of columns a read leaves out (deferred, as the ORM's `.defer()`)
# A model read by `fetch`, with its alias in the statement, and optionally the columns it leaves unread.
Source = tuple[type[Model], str] | tuple[type[Model], str, Unread]


@cache
def _fields(model: type[Model], unread: Unread = ()) -> tuple[Field[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if f.attname not in unread)


@cache
def _attnames(model: type[Model], unread: Unread = ()) -> tuple[str, ...]:
    return tuple(f.attname for f in _fields(model, unread))


@cache
def columns(model: type[Model], alias: str, unread: Unread = ()) -> str:
    """The model's concrete columns (but `unread`), qualified by `alias`, in the order `fetch` reads them."""
    return ", ".join(f'{alias}."{f.column}"' for f in _fields(model, unread))


@cache
def _pk_index(model: type[Model], unread: Unread = ()) -> int:
    return next(i for i, f in enumerate(_fields(model, unread)) if f.primary_key)


def _connection() -> BaseDatabaseWrapper:
    """The default connection itself, looked up once per call: `django.db.connection` is a proxy that looks
    the thread's connection up again on every attribute (issue #21: a field's preparation asks for
    `connection.ops` several times, so an audit row's insert paid for dozens of look-ups)."""
    return connections[DEFAULT_DB_ALIAS]


def _converters(
    model: type[Model], connection: BaseDatabaseWrapper, unread: Unread = ()
) -> list[tuple[int, list[Converter], Any]]:
    """Per column read that needs one: the backend's and the field's converters (as the ORM's compiler
    applies them). Cached on the connection: converters are the connection's methods."""
    cache_: dict[tuple[type[Model], Unread], list[tuple[int, list[Converter], Any]]] = (
        connection.__dict__.setdefault("_keel_row_converters", {})
    )
    found = cache_.get((model, unread))
    if found is None:
        found = []
        for index, field in enumerate(_fields(model, unread)):
            col = field.get_col(model._meta.db_table)
            funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if funcs:
                found.append((index, funcs, col))
        cache_[(model, unread)] = found
    return found


@cache
def _plain(model: type[Model]) -> bool:
    """Whether `model.from_db(alias, every attname, values)` does nothing but what `_built` does: the model
    keeps Django's `__init__` and `from_db`, and every concrete column's class attribute is Django's plain
    deferred attribute (a foreign key's only clears a cached related object, which a new instance has none
    of). Signal receivers are asked per instance (`_built`'s caller), as they may connect later."""
    if model.__init__ is not Model.__init__ or model.from_db.__func__ is not Model.from_db.__func__:  # type: ignore[attr-defined]
        return False
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    return all(type(inspect.getattr_static(model, name, None)) in plain for name in _attnames(model))


def _built(model: type[M], values: list[Any], alias: str, unread: Unread = ()) -> M:
    """`model.from_db(alias, the attnames read, values)` without its per-instance overhead (issue #21: a dose
    builds ~25 rows): the same `__dict__` and `_state` (not adding, of `alias`; an unread column is left out
    of `__dict__`, so it is deferred as the ORM's `.defer()` leaves it: read from the database if asked for);
    held to `from_db` by tests/db/test_rows.py."""
    obj = model.__new__(model)
    obj._state = ModelState()
    obj._state.adding = False
    obj._state.db = alias
    obj.__dict__.update(zip(_attnames(model, unread), values, strict=True))
    return obj


def _instance(model: type[M], values: list[Any], connection: BaseDatabaseWrapper, unread: Unread = ()) -> M:
    for index, funcs, col in _converters(model, connection, unread):
        value = values[index]
        for func in funcs:
            value = func(value, col, connection)
        values[index] = value
    if _plain(model) and not (pre_init.has_listeners(model) or post_init.has_listeners(model)):
        return _built(model, values, connection.alias, unread)
    return model.from_db(connection.alias, _attnames(model, unread), values)


def _unread(source: Source) -> Unread:
    return source[2] if len(source) == 3 else ()


@cache
def _shapes(sources: tuple[Source, ...]) -> tuple[tuple[type[Model], Unread, int, int], ...]:
    """Per source: its model, the attnames it leaves unread, how many columns it reads, where its pk is."""
    return tuple(
        (s[0], _unread(s), len(_fields(s[0], _unread(s))), _pk_index(s[0], _unread(s))) for s in sources
    )


@cache
def _select_sql(tail: str, sources: tuple[Source, ...], extra: tuple[str, ...] = ()) -> str:
    select = ", ".join([*(columns(s[0], s[1], _unread(s)) for s in sources), *extra])
    return f"SELECT {select} {tail}"  # nosec B608


def execute(
    cursor: CursorWrapper, sql: str, params: Sequence[SQLParam], *, prepared: bool = False
) -> list[Row]:
    """`cursor.execute(sql, params)`'s rows; `prepared` (a hot statement): on PostgreSQL prepared once per
    connection (`keel.db.prepared`: Bind and Execute only, the backend neither parses nor plans it again)."""
    if prepared and prepared_usable(cursor):
        return execute_prepared(cursor, sql, params)[0]
    cursor.execute(sql, params)
    found: list[Row] = cursor.fetchall()
    return found


def fetch(
    tail: str,
    params: Sequence[SQLParam],
    *sources: Source,
    extra: tuple[str, ...] = (),
    prepared: bool = False,
) -> list[tuple[Any, ...]]:
    """`SELECT <the columns of each (model, alias)>[, <extra>] <tail>`: one tuple of instances per row,
    then each `extra` expression's value as the driver returns it (not converted: a date is a string on
    SQLite, a boolean 0 or 1). A model whose columns are all NULL (an outer join that found no row) comes
    back as None (its pk is NULL). A source `(model, alias, unread)` leaves the columns of the attnames
    `unread` out of the statement: its instances have them deferred, as the ORM's `.defer(*unread)` would
    (a large JSON column a read does not use is neither sent nor decoded).

    `tail` is the FROM ... WHERE ... part, written with `%s` parameters (`extra` may hold some too: they
    come first, in the order of the statement). `prepared`: a hot statement, prepared once per connection
    on PostgreSQL (`execute`)."""
    sql = _select_sql(tail, sources, extra)
    connection = _connection()
    with connection.cursor() as cursor:
        rows = execute(cursor, sql, params, prepared=prepared)
    shapes = _shapes(sources)
    out: list[tuple[Any, ...]] = []
    for row in rows:
        start, built = 0, []
        for model, unread, width, pk_index in shapes:
            values = list(row[start : start + width])
            # _fields puts the pk first only by convention: find it by position once per model.
            built.append(None if values[pk_index] is None else _instance(model, values, connection, unread))
            start += width
        out.append((*built, *row[start:]))
    return out


def fetch_one(
    tail: str, params: Sequence[SQLParam], model: type[M], alias: str, *, prepared: bool = False
) -> M | None:
    """The first row of `fetch` for one model, or None."""
    found = fetch(tail, params, (model, alias), prepared=prepared)
    return found[0][0] if found else None


@cache
def _insert_sql(model: type[Model]) -> tuple[str, tuple[Field[Any, Any], ...]]:
    fields = tuple(f for f in _fields(model) if not f.primary_key)
    pk = model._meta.pk
    assert pk is not None
    names = ", ".join(f'"{f.column}"' for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return (
        f'INSERT INTO "{model._meta.db_table}" ({names}) VALUES ({marks}) RETURNING "{pk.column}"',  # noqa: S608 # nosec B608
        fields,
    )


def insert(obj: M, cursor: CursorWrapper | None = None, *, prepared: bool = False) -> M:
    """INSERT a new instance (all its fields, the pk from the database), as `obj.save()` would; on `cursor`
    if given (one of the default connection's, so a few statements in a row share one). `prepared`: see
    `fetch`."""
    sql, fields = _insert_sql(type(obj))
    row = _execute_insert(obj, sql, fields, [], cursor, prepared=prepared)
    assert row is not None
    return _inserted(obj, row[0], _connection().alias)


def _execute_insert(
    obj: Model,
    sql: str,
    fields: Sequence[Field[Any, Any]],
    more: Sequence[SQLParam],
    cursor: CursorWrapper | None,
    before: Sequence[SQLParam] = (),
    *,
    prepared: bool = False,
) -> tuple[SQLParam, ...] | None:
    """Run an INSERT of `obj`'s `fields` (after `before` parameters, then `more`) on `cursor`, or a cursor of
    its own; the first row it returns (None: none)."""
    connection = cursor.db if cursor is not None else _connection()
    params = [*before, *(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields), *more]
    if cursor is None:
        with connection.cursor() as own:
            found = execute(own, sql, params, prepared=prepared)
    else:
        found = execute(cursor, sql, params, prepared=prepared)
    return found[0] if found else None


def _inserted(obj: M, pk: SQLParam, alias: str) -> M:
    """`obj` as `save()` leaves a new row: its pk set, no longer adding, of the database `alias`."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = alias
    return obj


def insert_then(
    obj: M, then: str, then_params: Sequence[SQLParam], cursor: CursorWrapper, *, prepared: bool = False
) -> M:
    """PostgreSQL only: `insert` and one more statement in one round trip,
    `WITH "inserted" AS (INSERT ... RETURNING <pk>) <then>`, where `then` (an UPDATE, say) may read the new
    pk as `(SELECT <pk column> FROM "inserted")` and must return it as its first column. Both run whole or
    not at all (one statement); `then` sees the tables as they were before the insert. `prepared`: see
    `fetch`."""
    sql, fields = _insert_sql(type(obj))
    row = _execute_insert(
        obj, f'WITH "inserted" AS ({sql}) {then}', fields, then_params, cursor, prepared=prepared
    )
    if row is None:
        raise RuntimeError("the statement after the insert returned no row")
    return _inserted(obj, row[0], cursor.db.alias)


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    """`model`'s concrete field `name` (what has a column: never a relation's reverse side)."""
    found = model._meta.get_field(name)
    assert isinstance(found, Field)
    return found


@cache
def _insert_unless_sql(
    model: type[Model], conflict: tuple[str, ...]
) -> tuple[str, tuple[Field[Any, Any], ...]]:
    sql, fields = _insert_sql(model)
    columns_ = ", ".join(f'"{_field(model, name).column}"' for name in conflict)
    head, returning = sql.rsplit(" RETURNING ", 1)
    return f"{head} ON CONFLICT ({columns_}) DO NOTHING RETURNING {returning}", fields


def insert_unless_conflict(
    obj: M,
    conflict: tuple[str, ...],
    cursor: CursorWrapper | None = None,
    *,
    locked: Locked | None = None,
    prepared: bool = False,
) -> M | None:
    """`insert`, unless a row with the same values of the unique `conflict` fields exists: then nothing is
    written and None returned (`INSERT ... ON CONFLICT (...) DO NOTHING RETURNING`, on both databases; on
    PostgreSQL a conflicting row of a transaction still open is waited for). No error, so the caller's
    transaction carries on (an IntegrityError would end it on PostgreSQL). `locked` (PostgreSQL): a row
    locked in the same statement first (see `Locked`). `prepared`: see `fetch`."""
    sql, fields = _insert_unless_sql(type(obj), conflict)
    if locked is not None:
        sql, fields = _insert_locked_sql(sql, fields, locked)
    before = locked.params if locked is not None else ()
    row = _execute_insert(obj, sql, fields, [], cursor, before, prepared=prepared)
    return None if row is None else _inserted(obj, row[0], _connection().alias)


class Locked:
    """PostgreSQL only: another row locked by the same statement before it writes, one round trip instead
    of two: `WITH "locked" AS (<sql>) INSERT ... / UPDATE ...`, where `sql` selects one column of the row to
    lock (`SELECT "id" FROM ... WHERE ... FOR NO KEY UPDATE`, with `params`) and the write reads it as
    `(SELECT * FROM "locked")`: an insert takes `field`'s value from it, an update requires its row's
    `field` to equal it. The write cannot be built before the locked row is read, so the lock is taken
    first, as two statements in that order would take it; a missing locked row gives NULL (an insert of a
    required field fails as its foreign key would, an update changes nothing)."""

    __slots__ = ("field", "params", "sql")

    def __init__(self, sql: str, params: Sequence[SQLParam], field: str) -> None:
        self.sql, self.params, self.field = sql, tuple(params), field

    def prefix(self) -> str:
        return f'WITH "locked" AS ({self.sql}) '


_FROM_LOCKED = '(SELECT * FROM "locked")'


def _insert_locked_sql(
    sql: str, fields: tuple[Field[Any, Any], ...], locked: Locked
) -> tuple[str, tuple[Field[Any, Any], ...]]:
    """`sql` (an INSERT of `fields`, one `%s` each, in order) with `locked.field`'s value read from the
    locked row, the lock's parameters first."""
    index = next(i for i, f in enumerate(fields) if f.name == locked.field)
    head, tail = sql.split(" VALUES (", 1)
    marks, rest = tail.split(")", 1)
    values = marks.split(", ")
    values[index] = _FROM_LOCKED
    return (
        f"{locked.prefix()}{head} VALUES ({', '.join(values)}){rest}",
        fields[:index] + fields[index + 1 :],
    )


@cache
def _update_sql(
    model: type[Model], names: tuple[str, ...], when: tuple[str, ...] = ()
) -> tuple[str, tuple[Field[Any, Any], ...]]:
    fields = tuple(_field(model, name) for name in names)
    pk = model._meta.pk
    assert pk is not None
    sets = ", ".join(f'"{f.column}" = %s' for f in fields)
    conditions = "".join(f' AND "{_field(model, name).column}" = %s' for name in when)
    sql = f'UPDATE "{model._meta.db_table}" SET {sets} WHERE "{pk.column}" = %s{conditions}'  # noqa: S608 # nosec B608
    return sql, fields


def update(
    obj: Model,
    names: Iterable[str],
    when: Sequence[tuple[str, SQLParam]] = (),
    *,
    locked: Locked | None = None,
) -> int:
    """UPDATE the named fields of a saved instance; returns the number of rows changed (0 or 1). `when`:
    (field name, value) pairs the stored row must also hold, or nothing changes (0), e.g. the version read
    (optimistic concurrency in one statement; values are given as the database stores them). `locked`
    (PostgreSQL): a row locked in the same statement first, whose value the row's `locked.field` must hold
    (see `Locked`)."""
    sql, fields = _update_sql(type(obj), tuple(names), tuple(name for name, _ in when))
    connection = _connection()
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    values = [*params, obj.pk, *(value for _, value in when)]
    if locked is not None:
        column = _field(type(obj), locked.field).column
        sql = f'{locked.prefix()}{sql} AND "{column}" = {_FROM_LOCKED}'
        values = [*locked.params, *values]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return int(cursor.rowcount)
