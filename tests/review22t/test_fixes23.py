"""Session 23, lane bot23: review 22t holes 1, 2, 4 and 5 fixed, and the fix attacked with their variants.

FHIR reads the bottles from the plan's record of them (`bottle_mg`, `bottles_taken_back`): a bottle the record
took back is never `completed` (`entered-in-error`, or `preparation` while a standing plan can still hand it
out). A correction of a methadone dose of any day re-decides that day's run through `redecide_bottles`, and
what it said comes back on the amendment (`warnings`): the page (English and Spanish) and the API tell the
nurse. One fact per assertion; dates relative to today."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse

from keel.patients.models import local_today, zone_of
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.queries.take_home_plans import plan_days
from keel.treatment.services.doses.bottles import HANDED_OUT, TAKEN_BACK, TAKEN_BACK_PLAN_STOPS
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.orders import prescribe
from tests.conftest import World, sign_in
from tests.factories import given_daily
from tests.fhir_r4 import assert_valid_r4
from tests.review22t.test_holes import _dose, _fhir_tomorrow, _handed_out_at_80

pytestmark = pytest.mark.django_db

DOWN = "Pharmacy count shows 30 mg dispensed; the record is corrected to match."
ZERO = "Corrected to zero mg: entered on the wrong person's dose row."
UP = "Pharmacy count rechecked: 80 mg was dispensed after all; the record is corrected back."
VOID = "Recorded in error on the wrong person's row; she was not dosed at all."


def _amend(world: World, dose: DoseRecord, now: datetime, mg: str | None = None) -> DoseAmendment:
    """`dose` corrected to `mg` (None: voided) at `now`, by the nurse."""
    reason = VOID if mg is None else {"30": DOWN, "0": ZERO, "80": UP}[mg]
    return amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=dose.pk,
        corrected_mg=mg,
        void=mg is None,
        reason=reason,
        now=now,
    )


def _plan(world: World) -> TakeHomePlan:
    return TakeHomePlan.objects.get(patient=world.alice)


def _tomorrow(morning: datetime) -> str:
    return (morning.date() + timedelta(days=1)).isoformat()


def _fhir(world: World, now: datetime) -> list[dict[str, Any]]:
    """The MedicationDispense resources of the bottle for the day after `now`'s day (`_fhir_tomorrow`)."""
    return [cast(dict[str, Any], d) for d in _fhir_tomorrow(world, now)]


def _templates(amendment: DoseAmendment) -> list[str]:
    return [r.template for r in amendment.warnings]


# FHIR: a bottle taken back is never `completed` (holes 1 and 2)


@pytest.fixture
def down(world: World) -> tuple[TakeHomePlan, DoseAmendment, datetime]:
    """80 mg given at 08:00 (the bottles for tomorrow and the day after went home), corrected to 30 mg at
    09:00: the run is kept back and the bottles taken back."""
    plan, dose, morning = _handed_out_at_80(world)
    amendment = _amend(world, dose, morning + timedelta(hours=1), "30")
    plan.refresh_from_db()
    return plan, amendment, morning


def test_fhir_says_a_bottle_taken_back_at_a_correction_down_is_still_dispensed(
    world: World, down: Any
) -> None:
    """Superseded by review 24c hole 5 (session 25, the lead's decision): a bottle handed out is a fact
    (review 24b); a take-back after a correction down is an instruction to call the person back, and the
    bottle stays in their hands until recorded brought back, so FHIR says it was dispensed (`completed`,
    with a note), never `entered- in-error`. The original assertion: status "entered-in-error"."""
    (found,) = _fhir(world, down[2] + timedelta(hours=2))
    assert found["status"] == "completed"


def test_fhir_says_why_a_bottle_was_taken_back(world: World, down: Any) -> None:
    """Superseded by review 24c hole 5 (session 25, the lead's decision): a bottle handed out is a fact
    (review 24b); a take-back after a correction down is an instruction to call the person back, and the
    bottle stays in their hands until recorded brought back, so FHIR says it was dispensed (`completed`,
    with a note), never `entered- in-error`. The original assertion: "taken off the record" in
    statusReasonCodeableConcept (R4: why a dispense was not performed)."""
    (found,) = _fhir(world, down[2] + timedelta(hours=2))
    assert "until it is recorded brought back" in found["note"][0]["text"]


def test_fhir_keeps_the_mg_a_taken_back_bottle_was_recorded_with(world: World, down: Any) -> None:
    (found,) = _fhir(world, down[2] + timedelta(hours=2))
    assert found["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 80.0


def test_fhir_gives_a_taken_back_bottle_its_hand_over_day(world: World, down: Any) -> None:
    """Superseded by review 24c hole 5 (session 25, the lead's decision): a bottle handed out is a fact
    (review 24b); a take-back after a correction down is an instruction to call the person back, and the
    bottle stays in their hands until recorded brought back, so FHIR says it was dispensed (`completed`,
    with a note), never `entered- in-error`. The original assertion: "whenHandedOver" not in the
    resource."""
    (found,) = _fhir(world, down[2] + timedelta(hours=2))
    assert "whenHandedOver" in found


def test_fhir_of_a_taken_back_bottle_is_valid_r4(world: World, down: Any) -> None:
    (found,) = _fhir(world, down[2] + timedelta(hours=2))
    assert_valid_r4(found)


def test_the_plan_keeps_a_bottle_taken_back_as_taken_back(world: World, down: Any) -> None:
    assert Decimal(down[0].bottles_taken_back[_tomorrow(down[2])]) == 80


@pytest.fixture
def zero(world: World) -> tuple[TakeHomePlan, DoseAmendment, datetime]:
    """80 mg given at 08:00 (bottles out), corrected to 0 mg at 09:00: the bottles taken back, the plan
    stands (a dose later today would hand them out)."""
    plan, dose, morning = _handed_out_at_80(world)
    amendment = _amend(world, dose, morning + timedelta(hours=1), "0")
    plan.refresh_from_db()
    return plan, amendment, morning


def test_fhir_says_a_bottle_taken_back_at_zero_was_entered_in_error_while_it_is_on_the_call_back_list(
    world: World, zero: Any
) -> None:
    """Superseded by review 25c hole 1 (session 25, the lead's decision): the bottles that went home with a
    dose later corrected to 0 are on the call-back list (a person finds out whether they left), so FHIR no
    longer says they are still to be handed over; a later dose that hands them out again makes them
    completed (the next tests). The original assertion: status "preparation"."""
    (found,) = _fhir(world, zero[2] + timedelta(hours=2))
    assert found["status"] == "entered-in-error"


def test_fhir_says_a_bottle_taken_back_at_zero_was_entered_in_error_once_its_day_to_go_home_passed(
    world: World, zero: Any
) -> None:
    found = [
        d
        for d in _fhir(world, zero[2] + timedelta(days=1))  # tomorrow: the day after's bottle
        if d["dosageInstruction"][0]["timing"]["event"][0] == (zero[2].date() + timedelta(days=2)).isoformat()
    ]
    assert [d["status"] for d in found] == ["entered-in-error"]


def test_fhir_says_a_bottle_handed_out_again_at_a_later_dose_is_completed(world: World, zero: Any) -> None:
    _dose(world, "80", zero[2] + timedelta(hours=3))
    (found,) = _fhir(world, zero[2] + timedelta(hours=4))
    assert found["status"] == "completed"


def test_a_bottle_handed_out_again_is_no_longer_taken_back(world: World, zero: Any) -> None:
    _dose(world, "80", zero[2] + timedelta(hours=3))
    assert _tomorrow(zero[2]) not in _plan(world).bottles_taken_back


# A correction up after a correction down (today)


@pytest.fixture
def back_up(world: World, down: Any) -> tuple[TakeHomePlan, DoseAmendment, datetime]:
    """The 80 -> 30 correction of `down`, then corrected back to 80 at 10:00."""
    plan, _first, morning = down
    dose = DoseRecord.objects.filter(patient=world.alice).order_by("-pk")[0]
    amendment = _amend(world, dose, morning + timedelta(hours=2), "80")
    plan.refresh_from_db()
    return plan, amendment, morning


def test_a_correction_back_up_resumes_the_plan_kept_back(back_up: Any) -> None:
    assert back_up[0].ended_on is None


def test_a_correction_back_up_records_the_bottle_at_80(back_up: Any) -> None:
    assert Decimal(back_up[0].bottle_mg[_tomorrow(back_up[2])]) == 80


def test_a_correction_back_up_clears_the_taken_back_bottle(back_up: Any) -> None:
    assert _tomorrow(back_up[2]) not in back_up[0].bottles_taken_back


def test_a_correction_back_up_tells_of_the_bottles_handed_out(back_up: Any) -> None:
    assert _templates(back_up[1]) == [HANDED_OUT]


def test_fhir_after_a_correction_back_up_says_completed(world: World, back_up: Any) -> None:
    (found,) = _fhir(world, back_up[2] + timedelta(hours=3))
    assert found["status"] == "completed"


# A void after a correction down; a void alone (today)


@pytest.fixture
def void_after_down(world: World, down: Any) -> tuple[TakeHomePlan, DoseAmendment, datetime]:
    plan, _first, morning = down
    dose = DoseRecord.objects.filter(patient=world.alice).order_by("-pk")[0]
    amendment = _amend(world, dose, morning + timedelta(hours=2))
    plan.refresh_from_db()
    return plan, amendment, morning


def test_a_void_after_a_correction_down_leaves_the_plan_ended(void_after_down: Any) -> None:
    assert void_after_down[0].ended_on is not None


def test_a_void_after_a_correction_down_hands_nothing_out(void_after_down: Any) -> None:
    assert _tomorrow(void_after_down[2]) not in void_after_down[0].bottle_mg


def test_a_void_after_a_correction_down_says_nothing_more_of_bottles(void_after_down: Any) -> None:
    assert void_after_down[1].warnings == ()


def test_fhir_after_a_void_after_a_correction_down_is_not_completed(
    world: World, void_after_down: Any
) -> None:
    (found,) = _fhir(world, void_after_down[2] + timedelta(hours=3))
    assert found["status"] == "entered-in-error"


def test_a_void_of_the_dose_that_handed_bottles_out_tells_the_nurse(world: World) -> None:
    _, dose, morning = _handed_out_at_80(world)
    assert _templates(_amend(world, dose, morning + timedelta(hours=1))) == [TAKEN_BACK]


def test_a_correction_down_tells_the_nurse_the_plan_stops(down: Any) -> None:
    assert _templates(down[1]) == [TAKEN_BACK_PLAN_STOPS]


def test_the_nurse_is_told_the_days_taken_back(down: Any) -> None:
    days = dict(down[1].warnings[0].params)["days"]
    first = down[2].date() + timedelta(days=1)
    assert days == f"{first.isoformat()}, {(first + timedelta(days=1)).isoformat()}"


def test_the_nurse_is_told_the_mg_taken_back(down: Any) -> None:
    assert dict(down[1].warnings[0].params)["mg"] == "80"


# A correction of an earlier day's dose (hole 5): yesterday, the day before yesterday


def _on_80_handed_out_on(world: World, days_ago: int) -> tuple[TakeHomePlan, DoseRecord, datetime]:
    """Alice on methadone 80 mg, given 80 mg daily before; `days_ago` days ago at 08:00 she was given 80 mg
    with the run for the next two days going home (bottles recorded); returns the plan, that dose and this
    morning at 08:00."""
    alice = world.alice
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    today = local_today(alice)
    day = today - timedelta(days=days_ago)
    given_daily(world, order, [day - timedelta(days=n) for n in range(8, 0, -1)], 80)
    zone = zone_of(alice)
    then = datetime.combine(day, time(8), tzinfo=zone)
    plan = TakeHomePlan.objects.create(
        patient=alice,
        decided_by=world.staff["prescriber"],
        decided_at=then - timedelta(hours=1),
        days_in_treatment=9,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=2,
        bottles=[(day + timedelta(days=n)).isoformat() for n in (1, 2)],
        enrollment=alice.enrollments.order_by("-started_on").first(),
    )
    dose = _dose(world, "80", then)
    plan.refresh_from_db()
    assert len(plan.bottle_mg) == 2, ("setup: the run went home", plan.bottle_mg)
    return plan, dose, datetime.combine(today, time(8), tzinfo=zone)


def test_a_correction_of_yesterdays_dose_down_ends_the_plan_from_that_day(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning, "30")
    plan.refresh_from_db()
    assert plan.ended_on == dose.local_date


def test_a_correction_of_yesterdays_dose_down_tells_the_nurse(world: World) -> None:
    _, dose, morning = _on_80_handed_out_on(world, 1)
    assert _templates(_amend(world, dose, morning, "30")) == [TAKEN_BACK_PLAN_STOPS]


def test_a_void_of_yesterdays_dose_takes_the_bottles_back(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning)
    plan.refresh_from_db()
    assert sorted(plan.bottles_taken_back) == sorted(plan.bottles)


def test_a_void_of_yesterdays_dose_tells_the_nurse(world: World) -> None:
    _, dose, morning = _on_80_handed_out_on(world, 1)
    assert _templates(_amend(world, dose, morning)) == [TAKEN_BACK]


def test_a_correction_of_yesterdays_dose_back_up_resumes_the_plan(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning, "30")
    _amend(world, dose, morning + timedelta(hours=1), "80")
    plan.refresh_from_db()
    assert plan.ended_on is None


def test_a_correction_of_yesterdays_dose_back_up_records_tomorrows_bottle_at_80(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    _amend(world, dose, morning, "30")
    _amend(world, dose, morning + timedelta(hours=1), "80")
    plan.refresh_from_db()
    assert Decimal(plan.bottle_mg[_tomorrow(morning)]) == 80


def test_a_correction_of_the_day_before_yesterdays_dose_down_stops_todays_bottle(world: World) -> None:
    plan, dose, morning = _on_80_handed_out_on(world, 2)
    _amend(world, dose, morning, "30")
    plan.refresh_from_db()
    assert morning.date() not in plan_days(plan)


def test_a_correction_of_the_day_before_yesterdays_dose_names_today_only(world: World) -> None:
    """Lane fix23d: yesterday's bottle left and was drunk, its record stands; only today's is taken back."""
    _, dose, morning = _on_80_handed_out_on(world, 2)
    said = _amend(world, dose, morning, "30").warnings
    assert dict(said[0].params)["days"] == morning.date().isoformat()


def test_fhir_after_a_correction_of_the_day_before_yesterday_is_still_dispensed(world: World) -> None:
    """Superseded by review 24c hole 5 (session 25, the lead's decision): a bottle handed out is a fact
    (review 24b); a take-back after a correction down is an instruction to call the person back, and the
    bottle stays in their hands until recorded brought back, so FHIR says it was dispensed (`completed`,
    with a note), never `entered- in-error`. The original assertion: status "entered-in-error" (the test
    was named "..._is_not_completed")."""
    plan, dose, morning = _on_80_handed_out_on(world, 2)
    _amend(world, dose, morning, "30")
    from types import SimpleNamespace

    from keel.interop.fhir.record import _dispenses

    rec = cast(Any, SimpleNamespace(patient=world.alice, now=morning + timedelta(hours=1)))
    today = morning.date().strftime("%Y%m%d")
    (found,) = [d for d in _dispenses(rec) if str(d["id"]) == f"bottle-{plan.pk}-{today}"]
    assert found["status"] == "completed"  # superseded, see the docstring


def test_a_void_of_yesterdays_dose_leaves_the_bottles_a_decision_today_handed_out(world: World) -> None:
    """Yesterday's 80 mg handed nothing to a plan decided this morning (its run went home at the decision)."""
    plan, dose, morning = _on_80_handed_out_on(world, 1)
    TakeHomePlan.objects.filter(pk=plan.pk).delete()
    today, tomorrow = morning.date(), morning.date() + timedelta(days=1)
    decided = TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=morning,
        days_in_treatment=10,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=2,
        bottles=[today.isoformat(), tomorrow.isoformat()],
        bottle_mg={today.isoformat(): "80.00", tomorrow.isoformat(): "80.00"},
        enrollment=world.alice.enrollments.order_by("-started_on").first(),
    )
    _amend(world, dose, morning + timedelta(hours=1))
    decided.refresh_from_db()
    assert decided.bottle_mg == {today.isoformat(): "80.00", tomorrow.isoformat(): "80.00"}


# Two medications: a correction of another medication's dose never touches the methadone bottles


def _buprenorphine_row(world: World, morning: datetime) -> DoseRecord:
    """A buprenorphine dose of twelve days ago (its order written before), a row of the history."""
    bup = prescribe(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        medication="buprenorphine",
        dose_mg="8",
        order_version=0,
        now=morning - timedelta(days=20),
    )
    day = morning.date() - timedelta(days=12)
    return DoseRecord.objects.create(
        patient=world.alice,
        order=bup,
        medication="buprenorphine",
        local_date=day,
        sequence=1,
        status=DoseStatus.GIVEN,
        amount_mg=Decimal(8),
        treatment_day=1,
        decision={},
        recorded_by=world.staff["nurse"],
        recorded_at=datetime.combine(day, time(8), tzinfo=zone_of(world.alice)),
    )


def test_a_correction_of_a_buprenorphine_dose_leaves_the_methadone_bottles(world: World) -> None:
    plan, _, morning = _handed_out_at_80(world)
    _amend(world, _buprenorphine_row(world, morning), morning + timedelta(hours=1))
    plan.refresh_from_db()
    assert Decimal(plan.bottle_mg[_tomorrow(morning)]) == 80


def test_a_correction_of_a_buprenorphine_dose_says_nothing_of_bottles(world: World) -> None:
    _, _, morning = _handed_out_at_80(world)
    row = _buprenorphine_row(world, morning)
    assert _amend(world, row, morning + timedelta(hours=1)).warnings == ()


# The page and the API route (hole 4), in English and Spanish


def _page(world: World, mg: str, language: str = "en") -> list[str]:
    """The medication page's messages after the nurse corrects this morning's 80 mg (bottles out) to `mg`."""
    _, dose, _morning = _handed_out_at_80(world)
    client = sign_in(Client(), world.staff["nurse"])
    client.cookies["django_language"] = language
    response = client.post(
        reverse("treatment:amend", args=[world.alice.pk, dose.pk]),
        {"corrected_mg": mg, "reason": DOWN},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    return [str(m) for m in response.context["messages"]]


def test_the_page_tells_the_nurse_to_call_the_person_back(world: World) -> None:
    assert any("Call the person back" in m for m in _page(world, "30"))


def test_the_page_tells_the_nurse_the_mg_taken_back(world: World) -> None:
    assert any("(80 mg), already handed over" in m for m in _page(world, "30"))


def test_the_page_tells_the_nurse_in_spanish(world: World) -> None:
    assert any("Llame a la persona" in m for m in _page(world, "30", "es"))


def test_the_spanish_page_says_no_english_words_of_the_bottles(world: World) -> None:
    assert not any("handed over" in m for m in _page(world, "30", "es"))


def test_the_page_says_only_saved_when_no_bottle_changes(world: World) -> None:
    assert not any("bottle" in m.lower() for m in _page(world, "80"))


def _api(world: World, mg: str) -> Any:
    _, dose, _morning = _handed_out_at_80(world)
    client = sign_in(Client(), world.staff["nurse"])
    return client.post(
        f"/api/v1/patients/{world.alice.pk}/doses/{dose.pk}/amendments",
        json.dumps({"corrected_mg": mg, "reason": DOWN, "correction_version": 0}),
        content_type="application/json",
    )


def test_the_api_saves_the_correction(world: World) -> None:
    assert _api(world, "30").status_code == 201


def test_the_api_tells_the_caller_to_call_the_person_back(world: World) -> None:
    assert "Call the person back" in _api(world, "30").json()["warnings"][0]["text"]


def test_the_api_names_the_source_of_the_warning(world: World) -> None:
    assert "42cfr8.12-2024" in _api(world, "30").json()["warnings"][0]["sources"]


def test_the_api_warns_of_nothing_when_no_bottle_changes(world: World) -> None:
    assert _api(world, "80").json()["warnings"] == []
