"""Review 22m (a policy question, flagged as such in HOLES.md): the QTc gate forgets a QTc of 500 ms or more
once it is older than `qtc_recent_days`, even when no later ECG exists. An ECG read that comes back late,
entered with its real date (31 days ago) never gates a raise, never warns, and never raises the record's
dose-review notice: the last known interval is 560 ms and nothing shows it corrected (Krantz 2009 acts on the
current interval; "no recent ECG" is not a normal one)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc
from tests.conftest import World
from tests.factories import given_daily


def test_raise_on_the_only_qtc_560_measured_31_days_ago_needs_the_reason(world: World) -> None:
    alice, prescriber = world.alice, world.staff["prescriber"]
    today = local_today(alice, timezone.now())
    first = prescribe(by=prescriber, patient_id=alice.pk, medication="methadone", dose_mg="60")
    given_daily(world, first, [today - timedelta(days=n) for n in range(40, 0, -1)], 60)
    record_qtc(  # the ECG of 31 days ago, read late, entered today with its real date; no ECG since
        by=world.staff["nurse"], patient_id=alice.pk, qtc_ms=560, measured_on=today - timedelta(days=31)
    )
    with pytest.raises(TreatmentInvalid) as raised:
        prescribe(by=prescriber, patient_id=alice.pk, medication="methadone", dose_mg="100")
    assert "override_reason" in {e.field for e in raised.value.errors}
