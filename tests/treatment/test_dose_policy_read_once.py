"""A dose at the window reads the program's policy for its guard rail once (issue #21, lane perf23): the
buprenorphine start gate's restart gap and the rule's verdict share the read (`guards.DoseDay.policy`);
before, a buprenorphine dose ran the same policy statement twice. Both databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keel.treatment import services
from keel.treatment.models import DoseRecord, DoseStatus
from tests.conftest import World
from tests.treatment.test_dose_queries import NOON, TODAY

pytestmark = pytest.mark.django_db
POLICY_READ = 'FROM "treatment_patientpolicyoverride"'  # effective_policy's one statement


def _history(world: World, medication: str, mg: int) -> None:
    with time_machine.travel(NOON - timedelta(days=11), tick=False):
        order = services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication=medication, dose_mg=mg
        )
    DoseRecord.objects.bulk_create(
        DoseRecord(
            patient=world.alice,
            order=order,
            medication=medication,
            local_date=TODAY - timedelta(days=n),
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=Decimal(mg),
            treatment_day=11 - n,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=NOON - timedelta(days=n),
        )
        for n in range(10, 0, -1)
    )


@pytest.mark.parametrize(("medication", "mg"), [("buprenorphine", 8), ("methadone", 30)])
def test_a_dose_reads_its_policy_once(world: World, medication: str, mg: int) -> None:
    _history(world, medication, mg)
    with time_machine.travel(NOON, tick=False), CaptureQueriesContext(connection) as captured:
        outcome = services.record_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            amount_mg=str(mg),
            sequence=1,
            medication=medication,
        )
    assert outcome.dose.status == DoseStatus.GIVEN
    assert sum(POLICY_READ in q["sql"] for q in captured.captured_queries) == 1
