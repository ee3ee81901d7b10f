"""Review 19c: the FHIR MedicationRequest of the order in force today. 60 mg in force, 90 mg written to
start next week: the FHIR record (the patient's record file, $everything, the API's `fhir`) marks the 60 mg
order "completed" and the 90 mg one "active" with no start date, so a hospital or pharmacy reading it takes
90 mg for today's dose. The order that governs today is not reported as finished."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.queries import order_fhir
from keel.treatment.services.orders import prescribe


@pytest.mark.django_db
def test_fhir_order_in_force_today_not_completed_while_deferred_successor_waits(world: Any) -> None:
    doc = world.staff["prescriber"]
    alice = world.alice
    today = local_today(alice, timezone.now())
    first = prescribe(by=doc, patient_id=alice.pk, medication="methadone", dose_mg=60)
    prescribe(
        by=doc, patient_id=alice.pk, medication="methadone", dose_mg=90, starts_on=today + timedelta(days=7)
    )
    first.refresh_from_db()
    assert order_fhir(first)["status"] == "active"
