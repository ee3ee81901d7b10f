"""Review 19c: the record page's QTc notice reads the latest QTc by its own query (`dose_review_qtc`), not
`recent_qtc`, and so takes a row dated after today (written before such dates were refused) as "the latest":
a 430 ms row typed with next year's date hides today's 520 ms from the care team's notice to review the
methadone dose. The notice shows today's 520 ms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import QtcRecord
from keel.treatment.queries.qtc import dose_review_qtc
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc


@pytest.mark.django_db
def test_record_page_qtc_notice_not_hidden_by_a_row_dated_after_today(world: Any) -> None:
    doc, alice = world.staff["prescriber"], world.alice
    now = timezone.now()
    today = local_today(alice, now)
    prescribe(by=doc, patient_id=alice.pk, medication="methadone", dose_mg=60)
    QtcRecord.objects.create(  # a row from before the refusal of future dates (review 19a)
        patient=alice,
        qtc_ms=430,
        measured_on=today + timedelta(days=365),
        decision={},
        recorded_by=doc,
        recorded_at=now,
    )
    today_520 = record_qtc(by=doc, patient_id=alice.pk, qtc_ms=520)
    shown = dose_review_qtc(alice.pk, now)
    assert shown is not None and shown.pk == today_520.pk
