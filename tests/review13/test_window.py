"""Review 13: the methadone dosing window (holds, empty amount, double Enter, midnight, late entries)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from keel.patients.schemas import DischargeIn
from tests.review13.helpers import at, dose, dose_daily, methadone_order

D0 = date(2026, 11, 2)


def _held_today(world: Any) -> Any:
    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 5)
    today = D0 + timedelta(days=5)
    held = dose(world, "", at(today, 9), sedated=True).dose
    return today, held


def test_hold_then_enter_is_blocked(world: Any) -> None:
    """Held: a hold at 09:00, then Enter at 09:30 by the nurse, gives nothing."""
    from keel.treatment import services

    today, _ = _held_today(world)
    with pytest.raises(services.DoseBlocked):
        dose(world, "30", at(today, 9, 30))


def test_nurse_cannot_clear_a_hold(world: Any) -> None:
    """Held: only a prescriber resolves the held-dose flag."""
    from keel.patients import services as patients
    from keel.patients.models import PatientFlag

    _held_today(world)
    flag = PatientFlag.objects.get(patient=world.alice, kind="dose_held")
    with pytest.raises(patients.FlagNotAllowed):
        patients.resolve_flag(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            flag_id=flag.pk,
            note="Person is alert and oriented now, spoke clearly, steady gait, ok to dose.",
        )


def test_void_of_held_dose_does_not_lift_hold(world: Any) -> None:
    """Held: voiding the held row ('ticked by mistake') does not lift the hold without a prescriber."""
    from keel.treatment import services

    today, held = _held_today(world)
    services.amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=held.pk,
        void=True,
        reason="ticked sedated by mistake",
        now=at(today, 9, 5),
    )
    with pytest.raises(services.DoseBlocked):
        dose(world, "30", at(today, 9, 30))


def test_nurse_cannot_correct_a_held_dose_into_a_given_dose(world: Any) -> None:
    """Harm: a nurse 'corrects' the held row to 30 mg: the record now says 30 mg was given to a sedated person
    with no prescriber assessment, and the hold is walked around through the correction form."""
    from keel.treatment import services

    today, held = _held_today(world)
    with pytest.raises(Exception):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=held.pk,
            corrected_mg="30",
            reason="gave the dose after all, person looked fine",
            now=at(today, 9, 5),
        )


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-30", "abc", "1e3", "0", " "])
def test_odd_amounts_never_recorded(world: Any, raw: str) -> None:
    """Held: NaN, Infinity, negative, text, 1e3 (1000 mg), zero and blank are never recorded as a dose."""
    from keel.treatment import services
    from keel.treatment.models import DoseRecord

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 5)
    with pytest.raises((services.DoseBlocked, services.TreatmentInvalid)):
        dose(world, raw, at(D0 + timedelta(days=5)))
    assert DoseRecord.objects.filter(local_date=D0 + timedelta(days=5)).count() == 0


def test_dose_at_2359_then_0001_needs_override(world: Any) -> None:
    """Held: 23:59 and 00:01 are two minutes apart: the second dose needs a prescriber (re-dose interval)."""
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 5)
    day = D0 + timedelta(days=5)
    dose(world, "30", at(day, 23, 59))
    with pytest.raises(services.DoseBlocked):
        dose(world, "30", at(day + timedelta(days=1), 0, 1))


def test_late_documented_earlier_dose_counts_for_redose_interval(world: Any) -> None:
    """Held: a dose documented at 12:00 as given at 08:30, after one recorded at 09:30 -- within 2 h."""
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 5)
    day = D0 + timedelta(days=5)
    dose(world, "20", at(day, 9, 30))
    with pytest.raises(services.DoseBlocked):
        dose(world, "10", at(day, 12), given_at=at(day, 8, 30).isoformat())


def test_given_at_another_time_zone_yesterday_refused(world: Any) -> None:
    """Held: a given_at in UTC that is yesterday in the clinic's zone is refused (not today's dose)."""
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 5)
    day = D0 + timedelta(days=5)
    with pytest.raises(TreatmentInvalid):
        dose(world, "30", at(day, 10), given_at=f"{day.isoformat()}T03:00:00+00:00")


def test_titration_after_take_home_weekend_still_checked(world: Any) -> None:
    """Held: 30 mg observed, then 2 days away (missed), then 50 mg: the step from the last observed dose
    is checked (never switched off by days without an observed dose)."""
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 8)
    with pytest.raises(services.DoseBlocked):
        dose(world, "50", at(D0 + timedelta(days=10)))


def test_cumulative_increase_over_window_blocked(world: Any) -> None:
    """Held: +10 every 3 days (each step allowed) cannot exceed the cumulative window limit."""
    from keel.treatment import services

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 3, "30")
    day = D0 + timedelta(days=3)
    outcomes = []
    for mg in ("40", "40", "40", "50", "50", "50", "60"):
        try:
            dose(world, mg, at(day))
            outcomes.append("given")
        except services.DoseBlocked:
            outcomes.append("blocked")
            break
        day += timedelta(days=1)
    assert outcomes[-1] == "blocked"


def test_five_missed_days_reinduction_limits(world: Any) -> None:
    """Held: after 5 missed days, the old 40 mg is refused (a new induction: first dose at most 30 mg)."""
    from keel.treatment import services

    methadone_order(world, "40", when=at(D0, 7))
    # The lead (session 34, review 34c hole 3): the first raise waits the program's days between increases
    # from the first dose, so 40 mg starts on day 4 (was day 2); the last dose is still D0 + 5.
    dose_daily(world, D0, 3, "30")
    dose_daily(world, D0 + timedelta(days=3), 3, "40")
    last = D0 + timedelta(days=5)
    with pytest.raises(services.DoseBlocked):
        dose(world, "40", at(last + timedelta(days=6)))


def test_discharged_person_cannot_be_dosed(world: Any) -> None:
    """Held: after discharge no dose is recorded."""
    from keel.patients import services as patients
    from keel.treatment.errors import TreatmentInvalid

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 3)
    day = D0 + timedelta(days=3)
    with time_machine.travel(at(day, 8), tick=False):
        patients.discharge(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            data=DischargeIn.posted({"reason": "completed"}),
        )
    with pytest.raises(TreatmentInvalid):
        dose(world, "30", at(day, 9))


def test_page_empty_amount_is_refused_with_message(world: Any, signed_in: Any) -> None:
    """Held: Enter on the page with an empty amount records nothing (never the ordered dose)."""
    from keel.treatment.models import DoseRecord

    methadone_order(world, when=at(D0, 7))
    with time_machine.travel(at(D0, 9), tick=False):
        client = signed_in("nurse")
        r = client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "", "sequence": "1"}, follow=True)
        assert r.status_code == 200
    assert DoseRecord.objects.filter(patient=world.alice).count() == 0


def test_page_double_enter_same_slot_is_already_given(world: Any, signed_in: Any) -> None:
    """Held: the second Enter (same slot) records no second dose."""
    from keel.treatment.models import DoseRecord

    methadone_order(world, when=at(D0, 7))
    with time_machine.travel(at(D0, 9), tick=False):
        client = signed_in("nurse")
        for _ in range(2):
            client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "30", "sequence": "1"})
    assert DoseRecord.objects.filter(patient=world.alice).count() == 1


def test_page_double_enter_without_slot_is_not_a_second_dose(world: Any, signed_in: Any) -> None:
    """Harm: a form posted without its slot field (an old tab, a bookmarklet, a slot typed as 'x') silently
    takes the next slot: a double Enter becomes a second dose when the interval/ceilings let it through."""
    from keel.treatment.models import DoseRecord

    methadone_order(world, when=at(D0, 7))
    dose_daily(world, D0, 5)
    day = D0 + timedelta(days=5)
    with time_machine.travel(at(day, 9), tick=False):
        client = signed_in("nurse")
        client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "15", "sequence": "x"})
    with time_machine.travel(at(day, 12), tick=False):
        client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "15", "sequence": "x"})
    assert DoseRecord.objects.filter(patient=world.alice, local_date=day).count() == 1


def test_counselor_cannot_record_dose_via_api(world: Any, signed_in: Any) -> None:
    """Held: a counselor (another role) cannot record a dose through the JSON API."""
    methadone_order(world, when=at(D0, 7))
    with time_machine.travel(at(D0, 9), tick=False):
        client = signed_in("counselor")
        r = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"amount_mg": "30", "sequence": 1},
            content_type="application/json",
        )
    assert r.status_code == 403


def test_api_nan_amount_is_422(world: Any, signed_in: Any) -> None:
    """Held: the API refuses NaN with a 422 naming amount_mg."""
    methadone_order(world, when=at(D0, 7))
    with time_machine.travel(at(D0, 9), tick=False):
        client = signed_in("nurse")
        r = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"amount_mg": "NaN", "sequence": 1},
            content_type="application/json",
        )
    assert r.status_code == 422
    assert "amount_mg" in r.content.decode()


def test_api_first_day_over_first_dose_limit_blocked(world: Any, signed_in: Any) -> None:
    """Held: 40 mg as a first single methadone dose (label 30 mg) is refused via the API too."""
    from keel.treatment.models import DoseRecord

    methadone_order(world, when=at(D0, 7))
    with time_machine.travel(at(D0, 9), tick=False):
        client = signed_in("nurse")
        r = client.post(
            f"/api/v1/patients/{world.alice.pk}/doses",
            {"amount_mg": "40", "sequence": 1},
            content_type="application/json",
        )
    assert r.status_code != 201
    assert DoseRecord.objects.filter(patient=world.alice, status="given").count() == 0


_ = Decimal
