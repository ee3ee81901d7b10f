"""Review 19c: the QTc gate on a methadone raise compares with the dose in force today, not with an order
written to start later. 60 mg in force, 90 mg written to start next week (before any QTc), then a QTc of
520 ms: a new order of 90 mg starting today raises today's dose from 60 to 90 on a QTc of 500 or more and
needs the prescriber's reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc


@pytest.mark.django_db
def test_raise_today_on_high_qtc_measured_against_order_in_force_not_deferred_one(world: Any) -> None:
    doc = world.staff["prescriber"]
    alice = world.alice
    today = local_today(alice, timezone.now())
    prescribe(by=doc, patient_id=alice.pk, medication="methadone", dose_mg=60)
    prescribe(
        by=doc, patient_id=alice.pk, medication="methadone", dose_mg=90, starts_on=today + timedelta(days=7)
    )
    record_qtc(by=doc, patient_id=alice.pk, qtc_ms=520)
    with pytest.raises(TreatmentInvalid) as caught:
        prescribe(by=doc, patient_id=alice.pk, medication="methadone", dose_mg=90)
    assert "override_reason" in str(caught.value.errors)
