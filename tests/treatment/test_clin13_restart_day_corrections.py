"""Lane clin13 (issue #13): a correction on a restart day meets the limits the window applied to that dose
that day -- methadone's re-induction after missed days, buprenorphine's restart after a gap or after
methadone -- with the same prescriber's override, and a lowering is never refused. One fact per test."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.treatment import services
from keel.treatment.models import DoseAmendment, DoseOverride
from tests.conftest import sign_in
from tests.review13c.common import at, dose, order, override

pytestmark = pytest.mark.django_db
D = date(2026, 11, 16)
REASON = "corrected from the dispensing log"


def _amend(world: Any, dose_id: int, mg: str, day: date, role: str = "nurse") -> Any:
    with time_machine.travel(at(day, 12), tick=False):
        return services.amend_dose(
            by=world.staff[role],
            patient_id=world.alice.pk,
            dose_id=dose_id,
            corrected_mg=mg,
            reason=REASON,
            now=at(day, 12),
        )


def _refused(world: Any, dose_id: int, mg: str, day: date) -> str:
    with pytest.raises(services.TreatmentInvalid) as refused:
        _amend(world, dose_id, mg, day)
    assert refused.value.errors[0].field == "corrected_mg"
    return str(refused.value.errors[0].reason)


# --- Methadone: a re-induction after missed days ---


def _methadone_then_five_missed(world: Any) -> date:
    order(world, "methadone", "30", at(D, 7))
    for i in range(6):
        dose(world, "30", at(D + timedelta(days=i), 9), sequence=1)
    return D + timedelta(days=11)  # days 6-10 missed: 5 in a row, a new induction


def test_a_reinduction_correction_past_the_first_dose_limit_is_refused(world: Any) -> None:
    back = _methadone_then_five_missed(world)
    override(world, at(back, 8), medication="methadone", mg="30")
    given = dose(world, "25", at(back, 9), sequence=1).dose
    assert "first-dose limit" in _refused(world, given.pk, "35", back)
    assert not DoseAmendment.objects.filter(dose=given).exists()


def test_a_reinduction_correction_within_the_override_is_saved(world: Any) -> None:
    back = _methadone_then_five_missed(world)
    override(world, at(back, 8), medication="methadone", mg="30")
    given = dose(world, "25", at(back, 9), sequence=1).dose
    assert _amend(world, given.pk, "30", back).corrected_mg == 30


def test_a_reinduction_correction_with_a_higher_override_for_that_day_is_saved(world: Any) -> None:
    back = _methadone_then_five_missed(world)
    override(world, at(back, 8), medication="methadone", mg="50")
    given = dose(world, "30", at(back, 9), sequence=1).dose
    assert _amend(world, given.pk, "45", back).corrected_mg == 45


def test_a_reinduction_correction_downward_is_never_refused(world: Any) -> None:
    back = _methadone_then_five_missed(world)
    override(world, at(back, 8), medication="methadone", mg="50")
    given = dose(world, "45", at(back, 9), sequence=1).dose
    DoseOverride.objects.filter(patient=world.alice).update(max_total_mg=30)
    assert _amend(world, given.pk, "40", back).corrected_mg == 40


def test_four_missed_days_is_no_reinduction_for_a_correction(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    for i in range(6):
        dose(world, "30", at(D + timedelta(days=i), 9), sequence=1)
    back = D + timedelta(days=10)  # days 6-9 missed: 4, the half-dose cap (not the first day's limits)
    override(world, at(back, 8), medication="methadone", mg="15")
    given = dose(world, "15", at(back, 9), sequence=1).dose
    # Review 13d: a raising correction meets the window's checks of that day (here the missed days'), but
    # never the first day's limits: four missed days are no re-induction.
    refused = _refused(world, given.pk, "35", back)
    assert "first-dose limit" not in refused
    assert "first-day total" not in refused
    assert "missed days" in refused


# --- Buprenorphine: a restart after a gap, a switch after methadone ---


def _buprenorphine_three_days(world: Any) -> None:
    order(world, "buprenorphine", "16", at(D, 7))
    override(world, at(D, 8), medication="buprenorphine", kind="start", mg="8")
    dose(world, "8", at(D, 9), medication="buprenorphine", sequence=1)
    for i in (1, 2):
        dose(world, "16", at(D + timedelta(days=i), 9), medication="buprenorphine", sequence=1)


def _restart(world: Any, mg: str = "8", cap: str = "8") -> tuple[date, Any]:
    _buprenorphine_three_days(world)
    back = D + timedelta(days=8)  # days 3-7 without buprenorphine: 5, a restart
    override(world, at(back, 8), medication="buprenorphine", kind="start", mg=cap)
    return back, dose(world, mg, at(back, 9), medication="buprenorphine", sequence=1).dose


def test_a_restart_day_correction_above_the_day_one_limit_is_refused(world: Any) -> None:
    back, given = _restart(world, cap="12")  # the start override covers 12 mg (fix34c: it limits the day)
    assert "first dose day" in _refused(world, given.pk, "12", back)


def test_a_restart_day_correction_within_the_day_one_limit_is_saved(world: Any) -> None:
    back, given = _restart(world, mg="6")
    assert _amend(world, given.pk, "8", back).corrected_mg == 8


def test_the_day_after_a_restart_a_correction_meets_the_day_two_limit(world: Any) -> None:
    back, _ = _restart(world)
    day2 = back + timedelta(days=1)
    given = dose(world, "12", at(day2, 9), medication="buprenorphine", sequence=1).dose
    assert "second dose day" in _refused(world, given.pk, "20", day2)


def test_a_restart_day_correction_with_a_limit_override_is_saved(world: Any) -> None:
    back, given = _restart(world, cap="12")  # the start override covers 12 mg (fix34c: it limits the day)
    override(world, at(back, 11), medication="buprenorphine", mg="12")
    assert _amend(world, given.pk, "12", back).corrected_mg == 12


def test_a_restart_day_correction_downward_is_never_refused(world: Any) -> None:
    _buprenorphine_three_days(world)
    back = D + timedelta(days=8)
    override(world, at(back, 8), medication="buprenorphine", kind="start", mg="12")
    override(world, at(back, 8), medication="buprenorphine", mg="12")
    given = dose(world, "12", at(back, 9), medication="buprenorphine", sequence=1).dose
    DoseOverride.objects.filter(patient=world.alice).update(max_total_mg=8)
    assert _amend(world, given.pk, "10", back).corrected_mg == 10


def test_a_correction_after_methadone_since_the_last_buprenorphine_meets_day_one(world: Any) -> None:
    _buprenorphine_three_days(world)
    switch = D + timedelta(days=3)
    order(world, "methadone", "30", at(switch, 7))
    dose(world, "30", at(switch, 9), sequence=1)
    override(world, at(switch, 13), medication="buprenorphine", kind="start", mg="12")  # fix34c: the day's
    given = dose(world, "8", at(switch, 14), medication="buprenorphine", sequence=1).dose
    assert "first dose day" in _refused(world, given.pk, "12", switch)


def test_a_maintenance_correction_is_not_held_to_an_induction_limit(world: Any) -> None:
    _buprenorphine_three_days(world)
    day4 = D + timedelta(days=3)
    order(world, "buprenorphine", "20", at(day4, 8))  # the dose given follows the order
    given = dose(world, "16", at(day4, 9), medication="buprenorphine", sequence=1).dose
    assert _amend(world, given.pk, "20", day4).corrected_mg == 20


# --- Over HTTP: the API's 422 and the page's message ---


def test_the_api_refuses_a_restart_day_correction_naming_the_field(world: Any) -> None:
    back, given = _restart(world)
    with time_machine.travel(at(back, 12), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses/{given.pk}/amendments",
            json.dumps({"corrected_mg": "12", "reason": REASON, "correction_version": 0}),
            "application/json",
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "corrected_mg"
    assert not DoseAmendment.objects.filter(dose=given).exists()


def test_the_page_says_why_a_reinduction_correction_is_not_saved(world: Any) -> None:
    back = _methadone_then_five_missed(world)
    override(world, at(back, 8), medication="methadone", mg="30")
    given = dose(world, "25", at(back, 9), sequence=1).dose
    with time_machine.travel(at(back, 12), tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/patients/{world.alice.pk}/medication/doses/{given.pk}/amendments/",
            {"corrected_mg": "35", "reason": REASON},
            follow=True,
        )
    assert response.status_code == 200
    assert "first-dose limit" in response.content.decode()
    assert not DoseAmendment.objects.filter(dose=given).exists()


# --- Methadone: a readmission ---


def _readmit(world: Any, on: date) -> None:
    from keel.patients.models import Enrollment

    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on=on - timedelta(days=1), end_reason="left"
    )
    Enrollment.objects.create(patient=world.alice, program=world.riverside, started_on=on)


def test_a_readmission_day_correction_past_the_first_dose_limit_is_refused(world: Any) -> None:
    order(world, "methadone", "30", at(D, 7))
    for i in range(3):
        dose(world, "30", at(D + timedelta(days=i), 9), sequence=1)
    back = D + timedelta(days=3)
    _readmit(world, back)
    given = dose(world, "30", at(back, 9), sequence=1).dose
    assert given.treatment_day == 1
    assert "first-dose limit" in _refused(world, given.pk, "35", back)


def test_an_earlier_episodes_dose_is_held_only_to_its_own_first_day(world: Any) -> None:
    """A correction of a dose from before a readmission: that day is no first day of the current episode."""
    order(world, "methadone", "30", at(D, 7))
    for i in range(3):
        dose(world, "30", at(D + timedelta(days=i), 9), sequence=1)
    order(world, "methadone", "40", at(D + timedelta(days=3), 8))  # the dose given follows the order
    earlier = dose(world, "35", at(D + timedelta(days=3), 9), sequence=1).dose
    back = D + timedelta(days=5)
    _readmit(world, back)
    dose(world, "30", at(back, 9), sequence=1)
    assert _amend(world, earlier.pk, "40", back).corrected_mg == 40
