"""The Django internals Keel's hand-written database code leans on (issue #17): when an upgrade renames or
changes one, this file fails before anything subtler does.

`keel.db.sqlite3` overrides private hooks of Django's SQLite `DatabaseWrapper` (the writer queue is taken in
`_start_transaction_under_autocommit` and handed on in `_commit`, `_rollback`, `_close`); `keel.db.rows`
builds instances the way the ORM's compiler does (`Field.get_col`, the backend's and the column's converters,
`Model.from_db`, `ModelState`, `pre_save` + `get_db_prep_save`) and caches a joined row on the forward
descriptor's field (`set_cached_value`). `bench/engine.py` measures what each buys."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.sqlite3 import base as django_sqlite
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.expressions import Col

from keel.db import rows
from keel.db.sqlite3 import base as keel_sqlite
from keel.patients.models import Patient
from keel.recovery.models import CheckIn
from tests.conftest import World


def _params(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


# --- keel.db.sqlite3: the hooks the writer queue overrides ------------------------------------------------

HOOKS = {
    "_start_transaction_under_autocommit": ["self"],
    "_commit": ["self"],
    "_rollback": ["self"],
    "_close": ["self"],
    "get_new_connection": ["self", "conn_params"],
    "create_cursor": ["self", "name"],
    "is_in_memory_db": ["self"],
}


@pytest.mark.parametrize(("name", "params"), HOOKS.items())
def test_djangos_sqlite_wrapper_still_has_each_hook_keel_overrides(name: str, params: list[str]) -> None:
    assert _params(getattr(django_sqlite.DatabaseWrapper, name)) == params


@pytest.mark.parametrize("name", ["execute", "executemany"])
def test_djangos_sqlite_cursor_still_has_each_method_the_queue_wraps(name: str) -> None:
    assert _params(getattr(django_sqlite.SQLiteCursorWrapper, name))[:2] == ["self", "query"]


def test_atomic_still_begins_through_the_hook_the_queue_takes() -> None:
    """`atomic` begins with `set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)`: that
    calls `_start_transaction_under_autocommit` on a backend that has it."""
    assert "force_begin_transaction_with_broken_autocommit" in _params(BaseDatabaseWrapper.set_autocommit)


def _wrapper(tmp_path: Path) -> keel_sqlite.DatabaseWrapper:
    # On the PostgreSQL pass the settings' OPTIONS are libpq's (a URL's sslmode ...): SQLite takes none.
    options = connection.settings_dict["OPTIONS"] if connection.vendor == "sqlite" else {}
    return keel_sqlite.DatabaseWrapper(
        {**connection.settings_dict, "NAME": str(tmp_path / "q.sqlite3"), "OPTIONS": options}
    )


def test_a_transaction_takes_the_queue_a_commit_hands_it_on(tmp_path: Path, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():  # a wrapper of its own, on a file of its own
        wrapper = _wrapper(tmp_path)
        try:
            wrapper.ensure_connection()
            wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
            held_inside = wrapper.writer_queue is not None and wrapper.writer_queue.held
            wrapper.commit()
            held_after = wrapper.writer_queue is not None and wrapper.writer_queue.held
            assert (held_inside, held_after) == (True, False)
        finally:
            wrapper.set_autocommit(True)
            wrapper.close()


def test_a_rollback_hands_the_queue_on(tmp_path: Path, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():  # a wrapper of its own, on a file of its own
        wrapper = _wrapper(tmp_path)
        try:
            wrapper.ensure_connection()
            wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
            wrapper.rollback()
            assert wrapper.writer_queue is not None
            assert not wrapper.writer_queue.held
        finally:
            wrapper.set_autocommit(True)
            wrapper.close()


# --- keel.db.rows: how the ORM builds and saves instances -------------------------------------------------


def test_models_still_list_their_concrete_fields() -> None:
    assert [f.attname for f in CheckIn._meta.concrete_fields][:2] == ["id", "patient_id"]


def test_fields_still_make_columns_with_converters() -> None:
    col = CheckIn._meta.get_field("local_date").get_col(CheckIn._meta.db_table)
    assert isinstance(col, Col)
    assert isinstance(col.get_db_converters(connection), list)


def test_backends_still_offer_converters_per_column() -> None:
    assert _params(BaseDatabaseOperations.get_db_converters) == ["self", "expression"]


def test_from_db_still_takes_the_alias_the_names_and_the_values() -> None:
    assert _params(Model.from_db.__func__) == ["cls", "db", "field_names", "values"]  # type: ignore[attr-defined]


def test_save_still_prepares_values_with_pre_save_then_get_db_prep_save() -> None:
    assert (_params(Field.pre_save), _params(Field.get_db_prep_save)) == (
        ["self", "model_instance", "add"],
        ["self", "value", "connection"],
    )


def test_model_state_still_tracks_adding_and_db() -> None:
    state = ModelState()
    assert (state.adding, state.db) == (True, None)


def test_forward_descriptors_still_cache_the_related_row_on_their_field() -> None:
    assert callable(Patient.program.field.set_cached_value)


@pytest.mark.django_db
def test_an_inserted_row_has_the_state_the_orm_gives_a_saved_one(world: World) -> None:
    now = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    fields = {"patient": world.alice, "craving": 1, "mood": 3, "used": False, "medication": "taken"}
    by_orm = CheckIn(local_date=date(2026, 3, 7), created_at=now, updated_at=now, **fields)
    by_orm.save()
    by_hand = rows.insert(CheckIn(local_date=date(2026, 3, 8), created_at=now, updated_at=now, **fields))
    assert (by_hand._state.adding, by_hand._state.db) == (by_orm._state.adding, by_orm._state.db)


@pytest.mark.django_db
def test_a_cached_related_row_is_read_without_a_query(world: World, django_assert_num_queries: Any) -> None:
    patient = Patient.objects.get(pk=world.alice.pk)
    Patient.program.field.set_cached_value(patient, world.riverside)
    with django_assert_num_queries(0):
        assert patient.program.pk == world.riverside.pk


def test_cursors_still_run_a_statement_through_the_execute_wrappers_with_an_executor() -> None:
    """keel.db.prepared runs its statements through `_execute_with_wrappers(sql, params, many, executor)`."""
    from django.db.backends.utils import CursorWrapper

    params = list(inspect.signature(CursorWrapper._execute_with_wrappers).parameters)
    assert params == ["self", "sql", "params", "many", "executor"]
