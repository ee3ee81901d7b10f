"""Review 13d (round 4): attacks on issue #13 that succeed today. Each test asserts the SAFE behaviour."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.review13d.common import amend, at, dose, methadone_on, order

pytestmark = pytest.mark.django_db
MON = date(2026, 11, 2)


def test_nurse_gives_more_methadone_than_the_active_order(world: Any) -> None:
    """Order 30 mg, five observed days of 30 mg; the nurse types 40 mg. Within the titration step, so no guard
    rail fires: a nurse titrated without a prescriber. More than the order needs the prescriber's override."""
    from keel.treatment.services import DoseBlocked

    methadone_on(world, MON, "30", 5)
    with pytest.raises(DoseBlocked):
        dose(world, "40", at(MON + timedelta(days=5)))


def test_prescriber_lowers_the_order_then_the_old_dose_is_given(world: Any) -> None:
    """A prescriber lowers the dose to 20 mg at 08:00 (sedation yesterday evening reported by family); at
    09:00 the nurse gives the usual 30 mg. Nothing compares the amount with the order."""
    from keel.treatment.services import DoseBlocked

    methadone_on(world, MON, "30", 5)
    order(world, "methadone", "20", at(MON + timedelta(days=5), 8))
    with pytest.raises(DoseBlocked):
        dose(world, "30", at(MON + timedelta(days=5), 9))


def test_nurse_gives_more_buprenorphine_than_the_maintenance_order(world: Any) -> None:
    """Buprenorphine maintenance (day 4+): order 16 mg; the nurse gives 24 mg. 'Maintenance: allowed'."""
    from keel.treatment.services import DoseBlocked
    from tests.review13d.common import override

    order(world, "buprenorphine", "16", at(MON, 8))
    override(world, at(MON, 8, 30), medication="buprenorphine", kind="start", mg="16")
    dose(world, "8", at(MON, 9), medication="buprenorphine")
    for d in range(1, 4):
        dose(world, "16", at(MON + timedelta(days=d)), medication="buprenorphine")
    with pytest.raises(DoseBlocked):
        dose(world, "24", at(MON + timedelta(days=4)), medication="buprenorphine")


def test_correction_raises_a_maintenance_dose_past_the_titration_step(world: Any) -> None:
    """30 mg for five days; today 30 mg is recorded, then 'corrected' to 45 mg: a 15 mg step that the window
    would have refused without an override. The correction only meets the entry-error ceilings."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_on(world, MON, "30", 5)
    today = dose(world, "30", at(MON + timedelta(days=5), 9))
    with pytest.raises(TreatmentInvalid) as caught:
        amend(world, today.dose.pk, at(MON + timedelta(days=5), 9, 30), corrected_mg="45")
    assert any(e.field == "corrected_mg" for e in caught.value.errors)


def test_correction_of_yesterday_lifts_todays_titration_base(world: Any) -> None:
    """Yesterday's 30 mg corrected to 40 mg this morning (no check past the ceilings), then 50 mg today
    passes as a 10 mg step: 20 mg over two days with no prescriber."""
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.models import DoseRecord

    methadone_on(world, MON, "30", 5)
    yesterday = DoseRecord.objects.get(patient=world.alice, local_date=MON + timedelta(days=4))
    with pytest.raises(TreatmentInvalid):
        amend(world, yesterday.pk, at(MON + timedelta(days=5), 8, 30), corrected_mg="40")
