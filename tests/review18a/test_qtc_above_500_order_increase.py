"""Review 18a: a QTc of 500 ms or more gates nothing: the methadone order is raised right after it."""

from __future__ import annotations

from typing import Any

import pytest

from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import Medication
from keel.treatment.services.orders import prescribe
from keel.treatment.services.qtc import record_qtc

pytestmark = pytest.mark.django_db


def test_order_increase_after_qtc_above_500_needs_a_documented_reason(world: Any) -> None:
    """Scenario: Alice is on methadone 80 mg/day. The nurse records today's ECG: QTc 520 ms; Keel's verdict
    (`qtc-monitoring`, Krantz 2009) is "above_500: consider reducing or stopping methadone". Minutes later a
    prescriber (another one covering, who has not opened the ECG) raises her order to 100 mg with no
    reason: `prescribe` checks only the ceilings against entry errors, so the order is saved, and the window
    then gives the new dose. The QTc verdict raises no flag and is read by no other action.

    Impact: a dose increase on a QTc at or above 500 ms is the torsades de pointes risk the monitoring exists
    for (Krantz 2009: above 500 ms consider reducing or stopping). The verdict is shown once and then
    ignored by the one action it is about, the methadone dose.

    Safe outcome: while the latest QTc is 500 ms or more, an order that raises the methadone dose needs the
    prescriber's documented reason naming the QTc (TreatmentInvalid without it), as the other limits do.
    """
    prescriber, nurse, alice = world.staff["prescriber"], world.staff["nurse"], world.alice
    prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="80")
    qtc = record_qtc(by=nurse, patient_id=alice.pk, qtc_ms=520)
    assert qtc.decision["decision"] == "above_500"

    with pytest.raises(TreatmentInvalid):
        prescribe(by=prescriber, patient_id=alice.pk, medication=Medication.METHADONE, dose_mg="100")
