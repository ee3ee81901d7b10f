"""Review 13d (round 4): attacks on issue #13 that succeed today. Each test asserts the SAFE behaviour."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from tests.review13d.common import (
    amend,
    at,
    discharge,
    dose,
    intake,
    methadone_on,
    order,
    patient_policy,
    readmit,
)

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


def test_a_patient_policy_override_needs_a_reason_of_substance(world: Any) -> None:
    """A prescriber loosens one person's buprenorphine day-1 limit to 32 mg with the reason 'x'."""
    from keel.treatment.errors import TreatmentInvalid

    with pytest.raises(TreatmentInvalid) as caught:
        patient_policy(world, at(MON, 8), "buprenorphine-dose-limit", "day1_max_mg", 32, reason="x")
    assert any(e.field == "reason" for e in caught.value.errors)


def test_a_patient_policy_override_ends_with_the_episode(world: Any) -> None:
    """High tolerance in 2026: day-1 buprenorphine up to 32 mg for this person. Discharged, readmitted after
    months away (tolerance lost): the loosened limit must not come back with them."""
    from keel.treatment.queries.policy import effective_policy

    patient_policy(world, at(MON, 8), "buprenorphine-dose-limit", "day1_max_mg", 32)
    order(world, "methadone", "30", at(MON, 8, 30))
    dose(world, "30", at(MON, 9))
    discharge(world, at(MON, 15))
    readmit(world, at(MON + timedelta(days=60), 9))
    world.alice.refresh_from_db()
    program = effective_policy(world.bob, "buprenorphine-dose-limit")["day1_max_mg"]
    assert effective_policy(world.alice, "buprenorphine-dose-limit")["day1_max_mg"] == program != 32


def test_a_low_dose_schedule_cannot_jump_to_a_standard_dose(world: Any) -> None:
    """Fentanyl yesterday ('not a standard start'). The 'low-dose' order: 0.5 mg on day 1, then 24 mg on
    day 3.
    Day 1 passes the low-dose check; day 3 is 24 mg with no readiness verdict at all."""
    from keel.treatment.errors import TreatmentInvalid
    from keel.treatment.services import DoseBlocked

    intake(world, at(MON, 7), fentanyl=at(MON - timedelta(days=1), 20))
    try:
        order(
            world,
            "buprenorphine",
            "0.5",
            at(MON, 8),
            schedule=[{"day": 1, "mg": 0.5}, {"day": 3, "mg": 24}],
        )
    except TreatmentInvalid:
        return  # refused at the order: safe
    dose(world, "0.5", at(MON, 9), medication="buprenorphine")
    with pytest.raises(DoseBlocked):
        dose(world, "24", at(MON + timedelta(days=2), 9), medication="buprenorphine")


def test_a_missed_day_this_week_is_a_take_home_concern(world: Any) -> None:
    """Observed daily for three weeks except last Wednesday; Saturday a prescriber decides take-homes. The
    missed day is not 'in a row' before today, so nothing asks to acknowledge it."""
    from keel.treatment import services

    order(world, "methadone", "30", at(MON, 8))
    for d in range(0, 19):
        if d == 16:
            continue
        dose(world, "30", at(MON + timedelta(days=d)))
    now = at(MON + timedelta(days=19), 10)
    with time_machine.travel(now, tick=False):
        concerns = services.take_home_concerns(world.alice, (MON + timedelta(days=19)))
    assert any(c.kind == "missed_doses" for c in concerns)


def test_a_plan_decided_for_later_stops_at_a_hold(world: Any) -> None:
    """Plan decided on day 5 for bottles from day 12. Day 8 the person is held (sedated), the hold never
    released. Day 12: the window still turns the person away as 'a take-home day' (their bottle covers it)."""
    from keel.treatment import services

    methadone_on(world, MON, "30", 12)
    criteria = dict.fromkeys(services.CRITERIA_KEYS, True)
    now = at(MON + timedelta(days=4), 10)
    with time_machine.travel(now, tick=False):
        services.decide_take_home(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            criteria=criteria,
            start_on=(MON + timedelta(days=12)).isoformat(),
            now=now,
        )
    dose(world, "", at(MON + timedelta(days=8), 11), sedated=True)
    with time_machine.travel(at(MON + timedelta(days=12), 9), tick=False):
        assert (
            MON + timedelta(days=12)
            not in services.dose_context(world.alice, "methadone", MON + timedelta(days=12)).take_home_days
        )


@pytest.mark.parametrize("raw", ["NaN", "nan", "sNaN"])
def test_an_override_of_nan_mg_is_refused_naming_the_field(world: Any, raw: str) -> None:
    """max_total_mg "NaN": the parser names the field, then the hard-bound comparison raises
    decimal.InvalidOperation (a 500 on the page and the API)."""
    from keel.treatment.errors import TreatmentInvalid
    from tests.review13d.common import override

    with pytest.raises(TreatmentInvalid) as caught:
        override(world, at(MON, 8), medication="methadone", mg=raw)
    assert {e.field for e in caught.value.errors} == {"max_total_mg"}


def test_api_override_of_nan_is_a_422(world: Any, signed_in: Any) -> None:
    import json

    with time_machine.travel(at(MON, 8), tick=False):
        response = signed_in("prescriber").post(
            f"/api/v1/patients/{world.alice.pk}/dose-overrides",
            data=json.dumps(
                {
                    "medication": "methadone",
                    "max_total_mg": "NaN",
                    "reason": "Assessed at the window: withdrawal objective, plan discussed",
                }
            ),
            content_type="application/json",
        )
    assert response.status_code == 422, response.status_code
    assert b"max_total_mg" in response.content
