"""keel.db.prepared: the hot hand-written statements prepared once per PostgreSQL connection (session 38),
attacked as /healthz's probe is (tests/web/test_health.py, tests/review13b/test_health_prepared.py): a pooler
alternating server sessions, a terminated backend, a statement's own error, a transaction Django opened."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from django.db import DatabaseError, DataError, IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from keel.db import prepared, rows
from keel.recovery.models import CheckIn
from tests.conftest import World
from tests.db.test_rows import _checkin, _values

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="protocol-level: PostgreSQL's")

HEAD = 'SELECT "last_hash" FROM "audit_auditchainhead" WHERE "id" = %s'
MAKE_HEAD = (
    'INSERT INTO "audit_auditchainhead" ("id", "last_event_id", "last_hash") '
    'VALUES (%s, 0, %s) RETURNING "id"'
)
CHAIN = 990_038


def _head(chain_id: int = CHAIN) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        return rows.execute(cursor, HEAD, [chain_id], prepared=True)


def _make_head(chain_id: int = CHAIN) -> None:
    with connection.cursor() as cursor:
        rows.execute(cursor, MAKE_HEAD, [chain_id, "genesis"], prepared=True)


def _server_has(sql: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [prepared._named(sql)[0]])
        return cursor.fetchone() is not None


def _sends(monkeypatch: pytest.MonkeyPatch, before: Any = None) -> list[bool]:
    """Each attempt's `prepare`, `before(attempt number, prepare)` run first (a pooler's doing)."""
    real, sent = prepared.send, []

    def counted(*args: Any, prepare: bool, **kwargs: Any) -> Any:
        sent.append(prepare)
        if before is not None:
            before(len(sent), prepare)
        return real(*args, prepare=prepare, **kwargs)

    monkeypatch.setattr(prepared, "send", counted)
    return sent


def _deallocate_all() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")


@pytest.mark.django_db
def test_a_hot_statement_is_prepared_on_the_server(world: World) -> None:
    _head()
    assert _server_has(HEAD)


@pytest.mark.django_db
def test_a_prepared_read_answers_as_the_orm(world: World) -> None:
    saved = _checkin(world)
    saved.save()
    (found,) = rows.fetch(
        'FROM "recovery_checkin" c WHERE c."id" = %s', [saved.pk], (CheckIn, "c"), prepared=True
    )
    assert _values(found[0]) == _values(CheckIn.objects.get(pk=saved.pk))


@pytest.mark.django_db
def test_a_prepared_insert_writes_what_save_would(world: World) -> None:
    written = rows.insert(_checkin(world), prepared=True)
    via_orm = _checkin(world, local_date=date(2026, 3, 9))
    via_orm.save()
    mine, theirs = _values(CheckIn.objects.get(pk=written.pk)), _values(CheckIn.objects.get(pk=via_orm.pk))
    for name in ("id", "local_date"):
        mine.pop(name), theirs.pop(name)
    assert mine == theirs


@pytest.mark.django_db
def test_a_prepared_statement_shows_in_the_query_log_as_sent(world: World) -> None:
    _head()
    with CaptureQueriesContext(connection) as queries:
        _head(7)
    assert [q["sql"] for q in queries] == [HEAD.replace("%s", "7")]


@pytest.mark.django_db
def test_a_prepared_statement_goes_through_the_execute_wrappers(world: World) -> None:
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        _head()
    assert seen == [HEAD]


@pytest.mark.django_db
def test_it_is_parsed_once_per_connection(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _head()
    sent = _sends(monkeypatch)
    _head(), _head()
    assert sent == [False, False]


@pytest.mark.django_db(transaction=True)
def test_the_first_statement_of_a_transaction_is_inside_it() -> None:
    """Django opened the transaction (autocommit off) and psycopg sends its BEGIN lazily: this does too."""
    with pytest.raises(RuntimeError), transaction.atomic():
        _make_head()
        raise RuntimeError("roll back")
    assert _head() == []


@pytest.mark.django_db(transaction=True)
def test_a_session_without_the_statement_has_it_prepared_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pooler's other server session, or DISCARD ALL: 26000, then prepared again and executed."""
    _make_head()
    _head()
    _deallocate_all()
    sent = _sends(monkeypatch)
    assert (_head(), sent) == ([("genesis",)], [False, True])


@pytest.mark.django_db(transaction=True)
def test_a_session_that_already_has_the_statement_executes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """This connection's record lost it (a pooler's session prepared by another client): 42P05, then run."""
    _make_head()
    _head()
    prepared.prepared_on(prepared._named(HEAD)[0]).clear()
    sent = _sends(monkeypatch)
    assert (_head(), sent) == ([("genesis",)], [True, False])


@pytest.mark.django_db(transaction=True)
def test_a_pooler_alternating_server_sessions_does_not_fail_the_statement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Emulated on one session (review 13b's way): the Bind reaches a session without it (26000), the
    Parse one that has it (42P05), then the third attempt lands as it is."""
    _make_head()
    _head()
    made = f"PREPARE {prepared._named(HEAD)[0]} AS {prepared._named(HEAD)[1]}"

    def pooled(number: int, prepare: bool) -> None:
        if number <= 2:
            with connection.cursor() as other:
                other.execute(made if prepare else "DEALLOCATE ALL")

    sent = _sends(monkeypatch, pooled)
    assert (_head(), sent) == ([("genesis",)], [False, True, False])


@pytest.mark.django_db(transaction=True)
def test_a_terminated_backend_is_replaced_and_the_statement_prepared_on_the_new_one() -> None:
    _make_head()
    _head()
    ended = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params()) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [ended]).fetchone() == (True,)
    connection.close_if_unusable_or_obsolete()  # a request's start
    assert (_head(), connection.connection.info.backend_pid != ended) == ([("genesis",)], True)


@pytest.mark.django_db(transaction=True)
def test_a_statements_own_error_is_raised_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _make_head()
    sent = _sends(monkeypatch)
    with pytest.raises(IntegrityError):
        _make_head()
    assert sent == [False]


@pytest.mark.django_db(transaction=True)
def test_a_statement_lost_inside_a_transaction_is_raised_and_prepared_by_the_next() -> None:
    """Inside a transaction a failed statement aborts it: no retry; the next transaction prepares it."""
    _make_head()
    _head()
    _deallocate_all()
    with pytest.raises(DatabaseError), transaction.atomic():
        _head()
    with transaction.atomic():
        assert _head() == [("genesis",)]


def _alter_last_hash(length: int) -> None:
    """A migration run by another process (`keel migrate`): the head's `last_hash` changes type."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute(f'ALTER TABLE "audit_auditchainhead" ALTER COLUMN "last_hash" TYPE varchar({length})')


@pytest.fixture
def widened() -> Iterator[None]:
    try:
        yield
    finally:
        connection.close()
        _alter_last_hash(64)  # the test database's schema as it was


@pytest.mark.django_db(transaction=True)
def test_a_statement_whose_plan_changed_is_prepared_again_outside_a_transaction(widened: None) -> None:
    """0A000 "cached plan must not change result type" after a migration: closed, prepared, answered."""
    _make_head()
    _head()
    _alter_last_hash(128)
    assert _head() == [("genesis",)]


@pytest.mark.django_db(transaction=True)
def test_a_statement_whose_plan_changed_is_closed_on_the_server_inside_a_transaction(widened: None) -> None:
    _make_head()
    _head()
    _alter_last_hash(128)
    with pytest.raises(DatabaseError), transaction.atomic():
        _head()
    assert _server_has(HEAD) is False


@pytest.mark.django_db(transaction=True)
def test_a_statement_is_known_prepared_once_its_parse_succeeded() -> None:
    """A protocol-level Parse survives the rollback of the transaction whose Execute failed."""
    connection.close()
    _make_head()
    connection.close()
    with pytest.raises(IntegrityError), transaction.atomic():
        _make_head()
    assert connection.connection in prepared.prepared_on(prepared._named(MAKE_HEAD)[0])


@pytest.mark.django_db(transaction=True)
def test_a_backend_terminated_mid_transaction_raises_djangos_operational_error_as_the_orm_does() -> None:
    _make_head()
    with pytest.raises(OperationalError), transaction.atomic():
        _head()
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s, 5000)", [connection.connection.info.backend_pid])
        _head()
    connection.close_if_unusable_or_obsolete()


@pytest.mark.django_db(transaction=True)
def test_a_parameter_the_driver_refuses_raises_djangos_error() -> None:
    with connection.cursor() as cursor, pytest.raises(DataError):
        rows.execute(cursor, HEAD, ["a\x00b"], prepared=True)


# --- KEEL_DATABASE_PREPARED off (a transaction pooler): the statements sent as every other (session 38) ---


@pytest.mark.django_db
def test_turned_off_a_hot_statement_is_not_prepared_on_the_server(world: World, settings: Any) -> None:
    settings.KEEL_DATABASE_PREPARED = False
    never_sent = HEAD + " AND TRUE"  # a text no other test prepares: its name is its own
    with connection.cursor() as cursor:
        rows.execute(cursor, never_sent, [CHAIN], prepared=True)
    assert not _server_has(never_sent)


@pytest.mark.django_db
def test_turned_off_a_hot_statement_still_answers(world: World, settings: Any) -> None:
    settings.KEEL_DATABASE_PREPARED = False
    _make_head(CHAIN + 1)
    assert _head(CHAIN + 1) == [("genesis",)]


@pytest.mark.django_db
def test_turned_off_a_check_in_is_written_inside_its_transaction(world: World, settings: Any) -> None:
    settings.KEEL_DATABASE_PREPARED = False
    with pytest.raises(RuntimeError), transaction.atomic():
        rows.insert(_checkin(world), prepared=True)
        raise RuntimeError("rolled back")
    assert not CheckIn.objects.filter(patient=world.alice).exists()
