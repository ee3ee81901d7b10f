"""Issue #13, the window half: every guard at the dosing window holds against ordinary input, on every route
(service, page, API). The verdict gates the first buprenorphine dose; ceilings against entry errors with
bounded overrides of substance; a hold means stop until a prescriber releases it; no silent default amount;
a second Enter says "already given today"."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from keel.audit.models import AuditEvent
from keel.patients.models import Enrollment, PatientFlag
from keel.treatment import queries, services
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from tests.conftest import World, sign_in
from tests.treatment.test_start_guards import cows, intake, text_of

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 12:00 in Riverside (America/New_York)
GOOD_REASON = "COWS 14 at 2 h, still in withdrawal after 4 mg"


def order(world: World, medication: str = "methadone", mg: int = 30, **kw: Any) -> MedicationOrder:
    with time_machine.travel(NOON - timedelta(days=30), tick=False):
        return services.prescribe(
            by=world.staff["prescriber"], patient_id=world.alice.pk, medication=medication, dose_mg=mg, **kw
        )


def give(world: World, day: int = 0, role: str = "nurse", **kw: Any) -> services.DoseOutcome:
    with time_machine.travel(NOON + timedelta(days=day), tick=False):
        return services.record_dose(by=world.staff[role], patient_id=world.alice.pk, **kw)


def bup(world: World, mg: str = "4", day: int = 0, **kw: Any) -> services.DoseOutcome:
    return give(world, day=day, medication="buprenorphine", amount_mg=mg, **kw)


def override(world: World, day: int = 0, role: str = "prescriber", **kw: Any) -> Any:
    with time_machine.travel(NOON + timedelta(days=day), tick=False):
        return services.add_override(by=world.staff[role], patient_id=world.alice.pk, **kw)


def blocked(fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(services.DoseBlocked) as exc:
        fn(*args, **kw)
    return exc.value.decision.decision


def ready(world: World) -> None:
    intake(world, heroin=14)
    cows(world, NOON - timedelta(minutes=10))


def api(world: World, role: str, path: str, body: dict[str, Any], at: datetime = NOON) -> Any:
    with time_machine.travel(at, tick=False):
        client = sign_in(Client(), world.staff[role])
        return client.post(f"/api/v1/patients/{world.alice.pk}/{path}", json.dumps(body), "application/json")


# --- The verdict gates the first buprenorphine dose ---------------------------------------------------------


def test_a_first_buprenorphine_dose_without_a_verdict_is_refused(world: World) -> None:
    order(world, "buprenorphine", 4)
    assert blocked(bup, world) == "not_ready"


def test_a_first_buprenorphine_dose_while_waiting_is_refused(world: World) -> None:
    order(world, "buprenorphine", 4)
    intake(world, heroin=6)  # 6 h: the 12 h wait is not met
    cows(world, NOON - timedelta(minutes=10))
    assert blocked(bup, world) == "not_ready"


def test_a_first_dose_with_heroin_ready_but_methadone_two_days_ago_is_refused(world: World) -> None:
    order(world, "buprenorphine", 4)
    intake(world, heroin=14, methadone=48)
    cows(world, NOON - timedelta(minutes=10))
    assert blocked(bup, world) == "not_ready"


def test_a_first_dose_with_a_stale_cows_is_refused(world: World) -> None:
    order(world, "buprenorphine", 4)
    intake(world, heroin=14)
    cows(world, NOON - timedelta(hours=3))
    assert blocked(bup, world) == "not_ready"


def test_a_refused_first_dose_is_audited_as_a_denial(world: World) -> None:
    order(world, "buprenorphine", 4)
    blocked(bup, world)
    assert AuditEvent.objects.filter(target_type="dose", action="denied").get().reason == (
        "guard rail: not_ready"
    )


def test_a_refused_first_dose_writes_no_dose(world: World) -> None:
    order(world, "buprenorphine", 4)
    blocked(bup, world)
    assert not DoseRecord.objects.exists()


def test_a_first_dose_when_ready_is_given(world: World) -> None:
    order(world, "buprenorphine", 4)
    ready(world)
    assert bup(world).decision.decision == "allowed"


def test_the_second_dose_of_the_day_is_not_gated_again(world: World) -> None:
    order(world, "buprenorphine", 4)
    ready(world)
    bup(world)
    with time_machine.travel(NOON + timedelta(hours=2), tick=False):
        outcome = services.record_dose(
            by=world.staff["nurse"], patient_id=world.alice.pk, medication="buprenorphine", amount_mg="4"
        )
    assert outcome.decision.decision == "allowed"


def test_a_prescribers_start_override_lets_a_first_dose_through(world: World) -> None:
    order(world, "buprenorphine", 4)
    override(world, medication="buprenorphine", kind="start", max_total_mg=4, reason=GOOD_REASON)
    assert bup(world).dose.override is not None


def test_a_start_override_covers_only_its_total(world: World) -> None:
    order(world, "buprenorphine", 4)
    override(world, medication="buprenorphine", kind="start", max_total_mg=2, reason=GOOD_REASON)
    assert blocked(bup, world, "4") == "not_ready"


def test_a_dose_limit_override_does_not_open_the_start_gate(world: World) -> None:
    order(world, "buprenorphine", 4)
    override(world, medication="buprenorphine", max_total_mg=12, reason=GOOD_REASON)
    assert blocked(bup, world) == "not_ready"


def test_yesterdays_start_override_ended_with_the_day(world: World) -> None:
    order(world, "buprenorphine", 4)
    override(world, day=-1, medication="buprenorphine", kind="start", max_total_mg=4, reason=GOOD_REASON)
    assert blocked(bup, world) == "not_ready"


def test_a_nurse_cannot_record_a_start_override(world: World) -> None:
    order(world, "buprenorphine", 4)
    with pytest.raises(services.NotAllowed):
        override(
            world, role="nurse", medication="buprenorphine", kind="start", max_total_mg=4, reason=GOOD_REASON
        )


def test_a_low_dose_start_follows_its_schedule_instead(world: World) -> None:
    order(
        world,
        "buprenorphine",
        1,
        schedule=[{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}],
        starts_on=NOON.date(),
    )  # today is the schedule's day 1 (#13: only today's step of an active low-dose schedule skips the gate)
    assert bup(world, "0.5").decision.decision == "allowed"


def test_the_api_refuses_a_first_dose_before_ready(world: World) -> None:
    order(world, "buprenorphine", 4)
    response = api(world, "nurse", "doses", {"amount_mg": "4", "medication": "buprenorphine", "sequence": 1})
    assert response.status_code == 409


def test_the_start_page_refuses_a_first_dose_before_ready(world: World) -> None:
    order(world, "buprenorphine", 4)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(f"/patients/{world.alice.pk}/start/doses/", {"amount_mg": "4"})
    assert "not ready" in response.content.decode()


def test_the_start_page_refuses_a_first_dose_before_ready_in_spanish(world: World) -> None:
    order(world, "buprenorphine", 4)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.cookies["django_language"] = "es"
        response = client.post(
            f"/patients/{world.alice.pk}/start/doses/",
            {"amount_mg": "4"},
            HTTP_ACCEPT_LANGUAGE="es",
        )
    assert "no está listo" in response.content.decode().lower()


# --- Ceilings against entry errors --------------------------------------------------------------------------


def steady(world: World, days: int = 3) -> None:
    order(world, mg=30)
    for day in range(-days, 0):
        give(world, day=day, amount_mg="30")


def test_300_typed_for_30_is_stopped(world: World) -> None:
    steady(world)
    assert blocked(give, world, amount_mg="300") in ("needs_override", "refused")


def test_a_single_methadone_dose_past_the_hard_bound_is_refused_even_with_an_override(world: World) -> None:
    steady(world)
    override(world, max_total_mg=400, reason=GOOD_REASON)
    assert blocked(give, world, amount_mg="301") == "refused"


def test_an_override_cannot_pass_the_hard_bound(world: World) -> None:
    order(world, mg=30)
    with pytest.raises(TreatmentInvalid) as exc:
        override(world, max_total_mg=401, reason=GOOD_REASON)
    assert exc.value.errors[0].field == "max_total_mg"


def test_a_buprenorphine_override_cannot_pass_its_hard_bound(world: World) -> None:
    order(world, "buprenorphine", 4)
    with pytest.raises(TreatmentInvalid):
        override(world, medication="buprenorphine", max_total_mg=65, reason=GOOD_REASON)


@pytest.mark.parametrize("reason", ["x", "ok", "per protocol", "xxxxxxxxxxxxxxxxxxxxxx"])
def test_an_override_needs_a_reason_of_substance(world: World, reason: str) -> None:
    order(world, mg=30)
    with pytest.raises(TreatmentInvalid) as exc:
        override(world, max_total_mg=60, reason=reason)
    assert exc.value.errors[0].field == "reason"


def test_the_override_api_names_a_token_reason(world: World) -> None:
    order(world, mg=30)
    response = api(world, "prescriber", "dose-overrides", {"max_total_mg": "60", "reason": "ok"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


def test_an_override_is_audited_with_its_kind(world: World) -> None:
    order(world, "buprenorphine", 4)
    override(world, medication="buprenorphine", kind="start", max_total_mg=4, reason=GOOD_REASON)
    assert AuditEvent.objects.get(target_type="dose_override").detail["kind"] == "start"


# --- A hold means stop --------------------------------------------------------------------------------------


def held(world: World) -> PatientFlag:
    order(world, mg=30)
    give(world, day=-1, amount_mg="30")
    give(world, sedated=True)
    return PatientFlag.objects.get(kind="dose_held")


def test_a_hold_blocks_the_next_dose_that_day(world: World) -> None:
    held(world)
    assert blocked(give, world, amount_mg="30") == "held_earlier"


def test_a_hold_blocks_a_prescriber_too(world: World) -> None:
    held(world)
    assert blocked(give, world, role="prescriber", amount_mg="30") == "held_earlier"


def test_a_hold_is_not_lifted_by_a_dose_limit_override(world: World) -> None:
    held(world)
    override(world, max_total_mg=60, reason=GOOD_REASON)
    assert blocked(give, world, amount_mg="30") == "held_earlier"


def test_a_nurse_cannot_release_a_hold(world: World) -> None:
    flag = held(world)
    response = api(world, "nurse", f"flags/{flag.pk}/resolve", {"note": "seems fine now, alert and talking"})
    assert response.status_code == 403


def test_a_nurses_attempt_to_release_is_audited(world: World) -> None:
    flag = held(world)
    api(world, "nurse", f"flags/{flag.pk}/resolve", {"note": "seems fine now, alert and talking"})
    assert AuditEvent.objects.filter(
        target_type="patient_flag", action="denied", reason="only a prescriber resolves this flag"
    ).exists()


def test_a_prescriber_releases_with_an_assessment_of_substance(world: World) -> None:
    flag = held(world)
    response = api(world, "prescriber", f"flags/{flag.pk}/resolve", {"note": "ok"})
    assert response.status_code == 422


def test_after_a_prescribers_release_the_dose_is_given(world: World) -> None:
    flag = held(world)
    api(world, "prescriber", f"flags/{flag.pk}/resolve", {"note": "Assessed at 12:00: alert, pupils normal"})
    assert give(world, amount_mg="30").dose.status == "given"


def test_the_dosing_page_shows_the_hold_until_released(world: World) -> None:
    held(world)
    with time_machine.travel(NOON, tick=False):
        html = sign_in(Client(), world.staff["nurse"]).get("/dosing/").content.decode()
    assert "held: prescriber to assess" in html


# --- No silent defaults -------------------------------------------------------------------------------------


def test_an_empty_amount_is_refused_by_name(world: World) -> None:
    order(world, mg=30)
    with pytest.raises(TreatmentInvalid) as exc:
        give(world)
    assert exc.value.errors[0].field == "amount_mg"


@pytest.mark.parametrize("amount", ["0", "0.00", "   ", "-5"])
def test_a_zero_or_blank_amount_is_refused(world: World, amount: str) -> None:
    order(world, mg=30)
    with pytest.raises(TreatmentInvalid):
        give(world, amount_mg=amount)


def test_the_api_refuses_a_missing_amount_with_422(world: World) -> None:
    order(world, mg=30)
    response = api(world, "nurse", "doses", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount_mg"


def test_the_page_never_gives_the_ordered_dose_for_an_empty_amount(world: World) -> None:
    order(world, mg=30)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "", "sequence": "1"})
    assert not DoseRecord.objects.exists()


def test_the_dosing_page_does_not_fill_in_the_ordered_dose(world: World) -> None:
    order(world, mg=30)
    with time_machine.travel(NOON, tick=False):
        html = sign_in(Client(), world.staff["nurse"]).get("/dosing/").content.decode()
    assert 'name="amount_mg" value=' not in html


def test_a_sedated_person_is_held_without_an_amount(world: World) -> None:
    order(world, mg=30)
    assert give(world, sedated=True).dose.status == "held"


# --- A second Enter -----------------------------------------------------------------------------------------


def test_a_second_enter_on_a_dosed_row_gives_nothing_more(world: World) -> None:
    order(world, mg=30)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        for _ in range(2):
            client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "30", "sequence": "1"})
    assert DoseRecord.objects.count() == 1


def test_a_second_enter_says_already_given_today(world: World) -> None:
    order(world, mg=30)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.post(f"/dosing/{world.alice.pk}/", {"amount_mg": "30", "sequence": "1"})
        response = client.post(
            f"/dosing/{world.alice.pk}/", {"amount_mg": "30", "sequence": "1"}, follow=True
        )
    assert "Already given today" in response.content.decode()


# --- Titration over time, missed doses, episodes, discharge -------------------------------------------------


def run_of_days(world: World, mg: dict[int, str]) -> None:
    """Observed doses already in the record (days relative to today), as the window recorded them."""
    # The order the run was given under: its highest daily total (the dose given follows the order).
    current = order(world, mg=max((int(Decimal(a)) for a in mg.values()), default=30))
    for day, amount in sorted(mg.items()):
        DoseRecord.objects.create(
            patient=world.alice,
            order=current,
            medication="methadone",
            local_date=NOON.date() + timedelta(days=day),
            sequence=1,
            status="given",
            amount_mg=Decimal(amount),
            treatment_day=1,
            decision={},
            recorded_by=world.staff["nurse"],
            recorded_at=NOON + timedelta(days=day),
        )


def test_a_take_home_day_does_not_switch_the_titration_check_off(world: World) -> None:
    run_of_days(world, {-3: "60", -2: "60"})
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=NOON - timedelta(days=2),
        days_in_treatment=20,
        criteria={},
        decision={},
        max_supply_days=1,
        bottles=[(NOON - timedelta(days=1)).date().isoformat()],
    )
    assert blocked(give, world, amount_mg="80") == "needs_override"  # +20 over the last observed 60 mg


def test_increases_too_close_together_are_stopped(world: World) -> None:
    run_of_days(world, {-3: "60", -2: "60", -1: "70"})
    assert blocked(give, world, amount_mg="80") == "needs_override"  # +10 again one day after +10


def test_a_cumulative_rise_over_the_week_is_stopped(world: World) -> None:
    run_of_days(world, {-7: "60", -6: "60", -5: "60", -4: "70", -3: "70", -2: "70", -1: "80"})
    assert blocked(give, world, day=2, amount_mg="90") == "needs_override"  # 60 -> 90 inside 7 days


def test_three_missed_days_allow_only_half_the_dose(world: World) -> None:
    run_of_days(world, {-4: "80"})
    set_policy(world, "reassess_after_missed_days", 4)
    assert blocked(give, world, amount_mg="80") == "needs_override"


def test_three_missed_days_give_half_the_dose(world: World) -> None:
    run_of_days(world, {-4: "80"})
    set_policy(world, "reassess_after_missed_days", 4)
    assert give(world, amount_mg="40").dose.status == "given"


def set_policy(world: World, field: str, value: Any) -> None:
    from keel.treatment.services.policy import set_value

    set_value(
        by=world.staff["program_admin"],
        program_slug="riverside",
        rule="methadone-dose-check",
        field=field,
        value=value,
        reason="program decision after the medical director's review",
    )


def readmit(world: World, on: date) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on=on - timedelta(days=1), end_reason="left"
    )
    Enrollment.objects.create(patient=world.alice, program=world.riverside, started_on=on)


def test_a_readmission_starts_the_treatment_day_again(world: World) -> None:
    run_of_days(world, {-20: "60"})
    readmit(world, NOON.date() - timedelta(days=1))
    assert give(world, amount_mg="30").dose.treatment_day == 1


def test_a_readmission_applies_the_first_days_limits_again(world: World) -> None:
    run_of_days(world, {-20: "60"})
    readmit(world, NOON.date() - timedelta(days=1))
    assert blocked(give, world, amount_mg="60") == "needs_override"


def end_episode(world: World) -> None:
    Enrollment.objects.filter(patient=world.alice).update(
        status="ended", ended_on=NOON.date() - timedelta(days=1), end_reason="completed"
    )


def test_a_discharged_person_cannot_be_dosed(world: World) -> None:
    order(world, mg=30)
    end_episode(world)
    with pytest.raises(TreatmentInvalid) as exc:
        give(world, amount_mg="30")
    assert exc.value.errors[0].field == "patient"


def test_a_discharged_person_is_not_on_the_dosing_list(world: World) -> None:
    order(world, mg=30)
    end_episode(world)
    with time_machine.travel(NOON, tick=False):
        rows = queries.dosing_list(world.staff["nurse"])
    assert world.alice.pk not in [r.patient.pk for r in rows]


def test_the_api_refuses_a_dose_after_discharge(world: World) -> None:
    order(world, mg=30)
    end_episode(world)
    response = api(world, "nurse", "doses", {"amount_mg": "30", "sequence": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "patient"


# --- Plain words --------------------------------------------------------------------------------------------


def test_the_medication_page_says_the_dose_check_in_words(world: World) -> None:
    order(world, mg=30)
    give(world, amount_mg="30")
    with time_machine.travel(NOON, tick=False):
        html = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/medication/")
    assert "Within the limits" in text_of(html.content.decode())


@pytest.mark.parametrize("code", ["allowed_with_rationale", "needs_override", "held_earlier", "not_ready"])
def test_no_dose_check_code_reaches_the_medication_page(world: World, code: str) -> None:
    order(world, mg=30)
    give(world, amount_mg="30")
    override(world, max_total_mg=45, reason=GOOD_REASON)
    override(world, kind="redose", reason=GOOD_REASON)  # lane meth35: the interval has its own override
    # 45 mg on day one, with the prescriber's reason, an hour later (fix35f: a dose within minutes of the last
    # is taken for the same dose entered twice, whatever the override)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        services.record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="15", sequence=2)
        html = sign_in(Client(), world.staff["nurse"]).get(f"/patients/{world.alice.pk}/medication/")
    assert code not in text_of(html.content.decode())


def test_a_low_dose_start_above_todays_planned_dose_is_stopped(world: World) -> None:
    order(
        world,
        "buprenorphine",
        1,
        schedule=[{"day": 1, "mg": 0.5}, {"day": 2, "mg": 1}],
        starts_on=NOON.date(),
    )
    # review 21m: above today's step the start gate applies first; past it, the step's planned total stops it
    assert blocked(bup, world, "2") == "not_ready"
    override(world, medication="buprenorphine", kind="start", max_total_mg=2, reason=GOOD_REASON)
    assert blocked(bup, world, "2") == "needs_override"


def test_a_discharged_person_gets_no_take_home_supply(world: World) -> None:
    order(world, mg=30)
    end_episode(world)
    criteria = {key: True for key in services.CRITERIA_KEYS}
    with time_machine.travel(NOON, tick=False), pytest.raises(TreatmentInvalid) as exc:
        services.decide_take_home(by=world.staff["prescriber"], patient_id=world.alice.pk, criteria=criteria)
    assert exc.value.errors[0].field == "patient"


def test_a_methadone_hold_stops_a_buprenorphine_dose_the_same_day(world: World) -> None:
    held(world)
    order(world, "buprenorphine", 4)
    override(world, medication="buprenorphine", kind="start", max_total_mg=4, reason=GOOD_REASON)
    assert blocked(bup, world) == "held_earlier"


def test_the_dosing_page_says_why_300_is_not_given(world: World) -> None:
    run_of_days(world, {-2: "30", -1: "30"})
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        response = client.post(
            f"/dosing/{world.alice.pk}/", {"amount_mg": "300", "sequence": "1"}, follow=True
        )
    assert "against entry errors" in text_of(response.content.decode())


def test_the_dosing_page_says_the_hold_in_spanish(world: World) -> None:
    held(world)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        client.cookies["django_language"] = "es"
        response = client.post(
            f"/dosing/{world.alice.pk}/",
            {"amount_mg": "30", "sequence": "2"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="es",
        )
    assert "Ninguna dosis hasta que un prescriptor" in text_of(response.content.decode())


# --- A double tap on the API is not a second dose ---------------------------------------------------------


def test_the_api_asks_which_dose_of_the_day_it_is(world: World) -> None:
    order(world, mg=30)
    response = api(world, "nurse", "doses", {"amount_mg": "30"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "sequence"


def test_a_retried_api_dose_is_already_given_not_a_second_dose(world: World) -> None:
    order(world, mg=30)
    with time_machine.travel(NOON, tick=False):
        client = sign_in(Client(), world.staff["nurse"])
        path = f"/api/v1/patients/{world.alice.pk}/doses"
        body = json.dumps({"amount_mg": "30", "sequence": 1})
        statuses = [client.post(path, body, "application/json").status_code for _ in range(2)]
    assert statuses == [201, 409]
