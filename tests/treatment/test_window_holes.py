"""Issue #13, the reviewer's second pass (an addiction-medicine prescriber and an OTP nurse): the re-dose
interval at the window, a low-dose start that is low-dose by its amounts, XR-naltrexone readiness after a
lapsed course, readiness as of the time a dose was given, voided doses, and the ceilings on orders and
corrections. Each failed on main before this change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.treatment import services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseAmendment, DoseRecord, MedicationOrder
from keel.treatment.queries import orders_version
from keel.treatment.services.policy import set_value
from tests.conftest import World, sign_in
from tests.treatment.test_start_guards import cows, intake, methadone_dose, text_of
from tests.treatment.test_window_guards import (
    GOOD_REASON,
    NOON,
    api,
    blocked,
    bup,
    give,
    order,
    override,
    ready,
    steady,
)

pytestmark = pytest.mark.django_db


def at(moment: datetime, world: World, role: str = "nurse", **kw: Any) -> services.DoseOutcome:
    with time_machine.travel(moment, tick=False):
        return services.record_dose(by=world.staff[role], patient_id=world.alice.pk, **kw)


def at_blocked(moment: datetime, world: World, **kw: Any) -> str:
    with pytest.raises(services.DoseBlocked) as exc:
        at(moment, world, **kw)
    return exc.value.decision.decision


def policy(world: World, rule: str, field: str, value: Any) -> None:
    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule=rule,
        field=field,
        value=value,
        reason="program decision after the medical director's review",
    )


# --- 5. The re-dose interval ------------------------------------------------------------------------------


def test_methadone_day_one_30_then_10_a_minute_later_is_stopped(world: World) -> None:
    order(world, mg=30)
    give(world, amount_mg="30")
    assert at_blocked(NOON + timedelta(minutes=1), world, amount_mg="10") == "needs_override"


def test_the_interval_says_why_in_words(world: World) -> None:
    order(world, mg=30)
    give(world, amount_mg="30")
    with pytest.raises(services.DoseBlocked) as exc:
        at(NOON + timedelta(minutes=1), world, amount_mg="10")
    assert "the program waits 2 h between doses" in str(exc.value)


def test_methadone_at_2359_and_again_at_0001_is_stopped(world: World) -> None:
    steady(world)
    late = datetime(2026, 11, 26, 4, 59, tzinfo=UTC)  # 23:59 on the 25th in Riverside
    at(late, world, amount_mg="30")
    assert at_blocked(late + timedelta(minutes=2), world, amount_mg="30") == "needs_override"


def test_a_methadone_supplement_after_the_interval_is_given(world: World) -> None:
    order(world, mg=30)
    give(world, amount_mg="30")
    assert at(NOON + timedelta(hours=2), world, amount_mg="10").dose.status == "given"


def test_buprenorphine_4_then_4_two_minutes_later_is_stopped(world: World) -> None:
    order(world, "buprenorphine", 4)
    ready(world)
    bup(world)
    assert (
        at_blocked(NOON + timedelta(minutes=2), world, medication="buprenorphine", amount_mg="4")
        == "needs_override"
    )


def test_a_prescribers_override_allows_a_split_dose(world: World) -> None:
    steady(world)
    give(world, amount_mg="30")
    override(world, max_total_mg=60, reason="split dose: rapid metabolizer, peak and trough ECG reviewed")
    # lane meth35: the day's total on a limit override, the interval on an early re-dose override
    override(world, kind="redose", reason="split dose: rapid metabolizer, peak and trough ECG reviewed")
    outcome = at(NOON + timedelta(minutes=5), world, amount_mg="30")
    assert outcome.decision.decision == "allowed_with_rationale"


def test_a_buprenorphine_re_dose_after_reassessment_with_an_override(world: World) -> None:
    order(world, "buprenorphine", 4)
    ready(world)
    bup(world)
    override(world, medication="buprenorphine", max_total_mg=8, reason=GOOD_REASON)
    override(world, medication="buprenorphine", kind="redose", reason=GOOD_REASON)  # lane meth35
    outcome = at(NOON + timedelta(minutes=50), world, medication="buprenorphine", amount_mg="4")
    assert outcome.dose.override is not None


def test_a_voided_dose_does_not_hold_back_the_next(world: World) -> None:
    order(world, mg=30)
    first = give(world, amount_mg="30").dose
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=first.pk,
            void=True,
            reason="wrong person",
        )
    assert at(NOON + timedelta(minutes=2), world, amount_mg="30").dose.status == "given"


def test_the_api_stops_a_second_dose_inside_the_interval(world: World) -> None:
    order(world, mg=30)
    api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 1})
    response = api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 2}, NOON + timedelta(minutes=1))
    assert response.status_code == 409


def test_the_start_page_dose_form_sends_its_slot(world: World) -> None:
    order(world, "buprenorphine", 4)
    with time_machine.travel(NOON, tick=False):
        html = (
            sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/start/").content.decode()
        )
    assert '<input type="hidden" name="sequence" value="1">' in html


def test_a_second_enter_on_the_start_page_is_already_given(world: World) -> None:
    order(world, "buprenorphine", 4)
    ready(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        path = f"/patients/{world.alice.pk}/start/doses/"
        client.post(path, {"amount_mg": "4", "sequence": "1"})
        response = client.post(path, {"amount_mg": "4", "sequence": "1"})
    assert "Already given today" in text_of(response.content.decode())


def test_a_second_enter_on_the_start_page_gives_one_dose(world: World) -> None:
    order(world, "buprenorphine", 4)
    ready(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        path = f"/patients/{world.alice.pk}/start/doses/"
        for _ in range(2):
            client.post(path, {"amount_mg": "4", "sequence": "1"})
    assert DoseRecord.objects.filter(medication="buprenorphine").count() == 1


def test_the_re_dose_interval_cannot_be_set_to_nothing(world: World) -> None:
    with pytest.raises(Exception) as exc:
        policy(world, "methadone-dose-check", "redose_min_hours", 0)
    assert "must be at least 2" in str(exc.value)


# --- 6. A low-dose start is low-dose by its amounts, on its own days ----------------------------------------


def test_a_low_dose_order_starting_tomorrow_does_not_open_the_gate_today(world: World) -> None:
    steps = [{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}]
    order(world, "buprenorphine", 1, schedule=steps, starts_on=NOON.date() + timedelta(days=1))
    # review 19a: an order starting tomorrow is not in force today: refused as no order, before any gate
    with pytest.raises(TreatmentInvalid) as exc:
        bup(world, "0.5")
    assert [e.field for e in exc.value.errors] == ["order"]


def test_an_8_mg_low_dose_schedule_is_refused(world: World) -> None:
    with pytest.raises(TreatmentInvalid) as exc:
        order(world, "buprenorphine", 8, schedule=[{"day": 1, "mg": 8}], starts_on=NOON.date())
    assert exc.value.errors[0].field == "schedule"


def test_the_api_names_the_schedule_of_a_high_low_dose_start(world: World) -> None:
    body = {
        "medication": "buprenorphine",
        "dose_mg": 8,
        "schedule": [{"day": 1, "mg": 8}],
        "order_version": 0,
        "orders_version": orders_version(world.alice),
    }
    response = api(world, "prescriber", "orders", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "schedule"


def test_a_schedule_no_longer_low_dose_under_the_programs_policy_meets_the_gate(world: World) -> None:
    steps = [{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}]
    order(world, "buprenorphine", 1, schedule=steps, starts_on=NOON.date())
    policy(world, "buprenorphine-dose-limit", "low_dose_day1_max_mg", 0.2)
    assert blocked(bup, world, "0.5") == "not_ready"


# --- 7. XR-naltrexone after a lapsed course -----------------------------------------------------------------


def injection(world: World, when: datetime, site: str = "left_gluteal") -> services.DoseOutcome:
    with time_machine.travel(when, tick=False):
        return services.record_injection(by=world.staff["nurse"], patient_id=world.alice.pk, site=site)


def naltrexone(world: World) -> None:
    with time_machine.travel(NOON - timedelta(days=400), tick=False):
        services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication="naltrexone_xr", dose_mg=380
        )


def test_an_injection_a_year_ago_does_not_skip_readiness(world: World) -> None:
    naltrexone(world)
    intake(world, heroin=24 * 400, at=NOON - timedelta(days=366))
    injection(world, NOON - timedelta(days=365))
    intake(world, heroin=24 * 3)  # used heroin 3 days ago
    with pytest.raises(services.DoseBlocked) as exc:
        injection(world, NOON, site="right_gluteal")
    assert exc.value.decision.decision == "not_eligible"


def test_after_a_lapsed_course_methadone_brings_the_switching_guidance(world: World) -> None:
    naltrexone(world)
    intake(world, heroin=24 * 400, at=NOON - timedelta(days=366))
    injection(world, NOON - timedelta(days=365))
    intake(world, heroin=24 * 30)
    methadone_dose(world, NOON - timedelta(days=9))
    outcome = injection(world, NOON, site="right_gluteal")
    assert "vivitrol-label-switching" in outcome.decision.sources


def test_an_injection_four_weeks_on_continues_the_course(world: World) -> None:
    naltrexone(world)
    intake(world, heroin=24 * 60, at=NOON - timedelta(days=29))
    injection(world, NOON - timedelta(days=28))
    assert injection(world, NOON, site="right_gluteal").decision.decision == "repeat"


# --- 8. Readiness as of the time the dose was given ---------------------------------------------------------


def test_a_first_dose_given_this_morning_is_not_gated_by_a_later_cows(world: World) -> None:
    order(world, "buprenorphine", 4)
    intake(world, heroin=14, at=NOON - timedelta(hours=5))
    cows(world, NOON - timedelta(minutes=30))  # scored at 11:30
    morning = (NOON - timedelta(hours=3)).isoformat()  # given at 09:00, documented at noon
    assert blocked(bup, world, given_at=morning) == "not_ready"


def test_a_first_dose_given_after_its_cows_is_given(world: World) -> None:
    order(world, "buprenorphine", 4)
    intake(world, heroin=16, at=NOON - timedelta(hours=5))
    cows(world, NOON - timedelta(hours=3, minutes=30))
    morning = (NOON - timedelta(hours=3)).isoformat()
    assert bup(world, given_at=morning).decision.decision == "allowed"


# --- 9. A voided dose never starts the episode --------------------------------------------------------------


def test_a_voided_first_dose_does_not_start_the_episode(world: World) -> None:
    order(world, "buprenorphine", 4)
    override(world, medication="buprenorphine", kind="start", max_total_mg=4, reason=GOOD_REASON)
    dose = bup(world).dose
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            void=True,
            reason="wrong person",
        )
    assert blocked(bup, world, day=1) == "not_ready"


def test_a_dose_corrected_to_zero_does_not_start_the_episode(world: World) -> None:
    order(world, "buprenorphine", 4)
    override(world, medication="buprenorphine", kind="start", max_total_mg=4, reason=GOOD_REASON)
    dose = bup(world).dose
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            corrected_mg="0",
            reason="spat out",
        )
    assert blocked(bup, world, day=1) == "not_ready"


# --- 10. Orders: plausibility ------------------------------------------------------------------------------


def prescribe(world: World, **kw: Any) -> MedicationOrder:
    with time_machine.travel(NOON, tick=False):
        return services.prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, **kw)


def test_a_methadone_order_of_800_mg_is_refused(world: World) -> None:
    with pytest.raises(TreatmentInvalid) as exc:
        prescribe(world, medication="methadone", dose_mg=800, override_reason=GOOD_REASON)
    assert exc.value.errors[0].field == "dose_mg"


def test_a_methadone_order_above_the_check_needs_a_reason(world: World) -> None:
    with pytest.raises(TreatmentInvalid) as exc:
        prescribe(world, medication="methadone", dose_mg=180)
    assert exc.value.errors[0].field == "override_reason"


def test_a_methadone_order_above_the_check_with_a_reason_is_saved(world: World) -> None:
    saved = prescribe(world, medication="methadone", dose_mg=180, override_reason=GOOD_REASON)
    assert saved.dose_mg == 180


def test_a_buprenorphine_order_of_80_mg_is_refused(world: World) -> None:
    with pytest.raises(TreatmentInvalid) as exc:
        prescribe(world, medication="buprenorphine", dose_mg=80, override_reason=GOOD_REASON)
    assert exc.value.errors[0].field == "dose_mg"


def test_the_api_refuses_an_800_mg_order_naming_the_dose(world: World) -> None:
    response = api(
        world,
        "prescriber",
        "orders",
        {
            "medication": "methadone",
            "dose_mg": 800,
            "order_version": 0,
            "orders_version": orders_version(world.alice),
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "dose_mg"


def test_the_api_asks_for_the_reason_of_a_high_order(world: World) -> None:
    response = api(
        world,
        "prescriber",
        "orders",
        {
            "medication": "methadone",
            "dose_mg": 180,
            "order_version": 0,
            "orders_version": orders_version(world.alice),
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "override_reason"


def test_the_medication_page_refuses_an_800_mg_order(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["prescriber"])
        client.post(
            f"/patients/{world.alice.pk}/medication/orders/",
            {"medication": "methadone", "dose_mg": "800"},
            follow=True,
        )
    assert not MedicationOrder.objects.exists()


# --- 11. Corrections meet the same ceilings -----------------------------------------------------------------


def amend(world: World, dose: DoseRecord, mg: str) -> DoseAmendment:
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        return services.amend_dose(
            by=world.staff["nurse"],
            patient_id=world.alice.pk,
            dose_id=dose.pk,
            corrected_mg=mg,
            reason="typo in mg",
        )


def test_a_correction_to_900_mg_is_refused(world: World) -> None:
    steady(world)
    dose = give(world, amount_mg="30").dose
    with pytest.raises(TreatmentInvalid) as exc:
        amend(world, dose, "900")
    assert exc.value.errors[0].field == "corrected_mg"


def test_a_correction_above_the_check_needs_a_prescribers_override(world: World) -> None:
    steady(world)
    dose = give(world, amount_mg="30").dose
    with pytest.raises(TreatmentInvalid):
        amend(world, dose, "160")
    assert not DoseAmendment.objects.exists()


def test_a_correction_above_the_check_with_an_override_is_stored(world: World) -> None:
    steady(world)
    dose = give(world, amount_mg="30").dose
    override(world, max_total_mg=160, reason=GOOD_REASON)
    assert amend(world, dose, "160").corrected_mg == 160


def test_the_api_refuses_a_correction_to_900_naming_the_field(world: World) -> None:
    steady(world)
    dose = give(world, amount_mg="30").dose
    response = api(
        world,
        "nurse",
        f"doses/{dose.pk}/amendments",
        {"corrected_mg": "900", "reason": "typo in mg", "correction_version": 0},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "corrected_mg"
