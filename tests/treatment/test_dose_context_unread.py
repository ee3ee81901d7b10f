"""A dose's context reads the person's recent doses without their stored decision (issue #21, lane perf22):
the rule's JSON document per dose is neither sent nor decoded, and nothing asks for it afterwards (no
statement loads it back). Both reads: one person's (`dose_context`, hand-written) and many people's
(`dose_contexts`, the ORM's)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment import services
from keel.treatment.models import DoseRecord, DoseStatus
from keel.treatment.queries import contexts
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _history(world: World, days: int) -> None:
    order = services.prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
    )
    now = timezone.now()
    today = local_today(world.alice, now)
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=world.alice,
            order=order,
            medication="methadone",
            local_date=today - timedelta(days=n),
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=Decimal(30),
            treatment_day=days + 1 - n,
            decision={"decision": "allowed", "reasons": [{"text": "x" * 200, "sources": []}]},
            recorded_by=world.staff["nurse"],
            recorded_at=now - timedelta(days=n),
        )
        for n in range(days, 0, -1)
    )


def _dose_selects(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if 'FROM "treatment_doserecord"' in q["sql"]]


def test_one_persons_context_leaves_the_decisions_unread(world: World) -> None:
    _history(world, 20)
    today = local_today(world.alice, timezone.now())
    with CaptureQueriesContext(connection) as queries:
        ctx, reads = contexts.dose_context_and_reads(world.alice, "methadone", today, with_other_holds=True)
    doses = reads.doses[world.alice.pk]
    assert len(doses) == 20
    assert all(d.get_deferred_fields() == {"decision"} for d in doses)
    assert all('d."decision"' not in sql for sql in _dose_selects(queries))
    assert len(queries.captured_queries) == 2  # its two reads: nothing loaded the decisions back
    assert ctx.in_episode


def test_many_peoples_contexts_leave_the_decisions_unread(world: World) -> None:
    _history(world, 20)
    today = local_today(world.alice, timezone.now())
    with CaptureQueriesContext(connection) as queries:
        found = contexts.dose_contexts([(world.alice, today)], "methadone")
    assert world.alice.pk in found
    selects = _dose_selects(queries)
    assert selects and all('"treatment_doserecord"."decision"' not in sql for sql in selects)
    # its five reads (lane fix33d: the fifth, whether a hold stands): nothing loaded the decisions back
    assert len(queries.captured_queries) == 5
