"""`rows.fetch` leaving columns unread (issue #21, lane perf22): a source `(model, alias, unread)` reads the
instance the ORM's `.defer(*unread)` reads: the same values, the same deferred fields, and the unread value
read from the database when asked for. Run on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from keel.audit import chain
from keel.audit import services as audit
from keel.audit.models import AuditEvent
from keel.db import rows

pytestmark = pytest.mark.django_db


def _state(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def test_a_row_read_without_a_column_is_the_orms_deferred_instance(settings: SettingsWrapper) -> None:
    settings.KEEL_AUDIT_KEYS = chain.new_key_spec("k1")
    event = audit.record(actor=None, action="update", program_id=7, detail={"n": 1, "word": "café"})
    with CaptureQueriesContext(connection) as queries:
        (ours,) = rows.fetch(
            'FROM "audit_auditevent" e WHERE e."id" = %s', [event.pk], (AuditEvent, "e", ("detail",))
        )
    assert '"detail"' not in queries.captured_queries[0]["sql"]
    orm = AuditEvent.objects.defer("detail").get(pk=event.pk)
    assert _state(ours[0]) == _state(orm)
    assert ours[0].get_deferred_fields() == orm.get_deferred_fields() == {"detail"}
    assert (ours[0]._state.adding, ours[0]._state.db) == (orm._state.adding, orm._state.db)
    assert ours[0].detail == {"n": 1, "word": "café"}  # read when asked for


def test_every_column_read_is_the_default() -> None:
    assert rows.columns(AuditEvent, "e", ()) == rows.columns(AuditEvent, "e")
    assert '"detail"' not in rows.columns(AuditEvent, "e", ("detail",))
