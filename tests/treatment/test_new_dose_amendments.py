"""A new dose's amendments (none) are read from the dose as Django's prefetch leaves a related set it read
(issue #21, lane perf24: `window._no_amendments`): no statement and no SQL compiled, the answer the
database's. Iterating `DoseAmendment.objects.none()`, as before, compiled a SELECT on every dose's answer
(`effective_mg`, the API's amendments list) only to find it empty."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db.models.sql.compiler import SQLCompiler

from keel.treatment import services
from keel.treatment.models import DoseAmendment
from keel.treatment.queries.doses import effective_mg
from keel.treatment.schemas import DoseOut
from tests.conftest import World
from tests.factories import last_five_pm_utc

pytestmark = pytest.mark.django_db


def test_a_new_doses_amendments_are_read_without_sql(world: World, django_assert_num_queries: Any) -> None:
    with time_machine.travel(last_five_pm_utc(), tick=False):  # within the dosing hours
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg=30
        )
        dose = services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="30").dose
    stored = list(DoseAmendment.objects.filter(dose=dose))
    with (
        django_assert_num_queries(0),
        mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("an SQL statement was compiled")),
    ):
        assert list(dose.amendments.all()) == stored == []
        assert effective_mg(dose) == dose.amount_mg
        assert DoseOut.of(dose, 0).amendments == []  # the day count read before (lane day34)
        assert not dose.amendments.all().exists()
        assert dose.amendments.all().count() == 0
