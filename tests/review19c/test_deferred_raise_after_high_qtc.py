"""Review 19c: an order written to start later that raises methadone, then a QTc of 500 ms or more before it
starts. The gate on a raise ran when the order was written (no QTc then); on its start day the window gives
the raised dose as "within the order", so the raise reaches the person on a QTc of 520 ms with no
prescriber's reason ever recorded. The safe behaviour: that first raised dose waits for a prescriber (as a
dose above the order on that QTc does)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from keel.core.rules.inputs import FieldsInvalid
from keel.treatment.models import DoseRecord, DoseStatus
from keel.treatment.services.common import DoseBlocked
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc

DAY = date(2026, 3, 10)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 14, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.mark.django_db
def test_deferred_raise_reaching_its_start_after_qtc_520_is_not_dosed_unchecked(world: Any) -> None:
    doc, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    start = DAY - timedelta(days=30)
    order = prescribe(by=doc, patient_id=alice.pk, medication="methadone", dose_mg=60, now=_at(start))
    for n in range(30):  # a month on 60 mg, every day observed
        day = start + timedelta(days=n)
        DoseRecord.objects.create(
            patient=alice,
            order=order,
            medication="methadone",
            local_date=day,
            sequence=1,
            status=DoseStatus.GIVEN,
            amount_mg=Decimal(60),
            treatment_day=n + 1,
            decision={},
            recorded_by=nurse,
            recorded_at=_at(day),
        )
    # a step of 5 mg, written today to start in three days (no QTc on record yet)
    prescribe(
        by=doc,
        patient_id=alice.pk,
        medication="methadone",
        dose_mg=65,
        starts_on=DAY + timedelta(days=3),
        now=_at(DAY),
    )
    record_qtc(by=doc, patient_id=alice.pk, qtc_ms=520, now=_at(DAY + timedelta(days=1)))
    raised_day = DAY + timedelta(days=3)
    for n in (0, 1, 2):  # 60 mg as before until the raise starts
        record_dose(by=nurse, patient_id=alice.pk, amount_mg=60, now=_at(DAY + timedelta(days=n)))
    with pytest.raises((DoseBlocked, FieldsInvalid)):
        record_dose(by=nurse, patient_id=alice.pk, amount_mg=65, now=_at(raised_day))
