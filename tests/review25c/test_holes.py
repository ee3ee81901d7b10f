"""Review 25c: an OTP medical director with the dispensary pharmacist, on the merged take-home bottle path.
Each test is one hole (tests/review25c/HOLES.md); each fails on the code as merged. Dates are relative to
today (the suite runs under moved clocks)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from keel.access.policy import Area
from keel.interop.fhir.base import Base
from keel.interop.fhir.record import Record
from keel.patients.models import local_today
from keel.treatment.errors import TreatmentInvalid
from keel.treatment.models import DoseRecord, MedicationOrder, TakeHomePlan
from keel.treatment.queries.take_home_plans import bottles_at_home, call_back
from keel.treatment.queries.window import dosing_list, still_due
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import given_on, methadone_with_take_home_plan

WHY = "the nurse wrote the wrong amount on the dosing sheet"


def _dispense_status(world: World, bottle_id: str) -> str:
    rec = Record(world.alice, frozenset(Area), Base("https://keel.example/fhir/R4/"), timezone.now())
    found: dict[str, Any] = {d["id"]: d for d in rec.of_type("MedicationDispense")}
    return str(found[bottle_id]["status"])


def test_hole1_void_of_todays_dose_fhir_says_preparation_while_call_back_says_at_home(world: World) -> None:
    """Today's 80 mg dose hands out tomorrow's and the next day's bottles (the plan's record writes them);
    the dose is then voided. The call-back list (medication page, API) names both bottles to bring in, but
    FHIR sends `preparation` (the standing plan will still hand them out), not `entered-in-error` as it does
    for the same bottles after a hold: the receiving system reads "not yet dispensed" for bottles the care
    team is phoning the person about."""
    plan, first = methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=2))
    nurse = world.staff["nurse"]
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="80")
    dose = DoseRecord.objects.filter(patient=world.alice).order_by("-id").first()
    assert dose is not None
    assert plan.pk not in call_back(world.alice, local_today(world.alice))
    amend_dose(by=nurse, patient_id=world.alice.pk, dose_id=dose.pk, void=True, reason=WHY)
    listed = call_back(world.alice, local_today(world.alice))
    assert first in listed.get(plan.pk, {})  # the next shift is told the bottle may be at home
    bottle = f"bottle-{plan.pk}-{first.strftime('%Y%m%d')}"
    assert _dispense_status(world, bottle) == "entered-in-error"


def test_hole2_void_after_correction_down_drops_silent_record_bottles_from_call_back(world: World) -> None:
    """A plan whose record is silent on its bottles (decided before the amounts were kept, or a dose row
    written outside the dose path): yesterday's observed 80 mg dose handed out today's and tomorrow's bottles
    (every reader says at home, FHIR `completed`). The dose is corrected down to 40 mg: the nurse is told
    to call the person back and the call-back list names both bottles. The dose is then voided: the
    bottles vanish from the call-back list (and from the supply check), and FHIR turns the same ids from
    `completed` to `cancelled` ("never picked up"), though the bottles went home yesterday and nobody has
    recorded them brought back."""
    plan, first = methadone_with_take_home_plan(
        world, timezone.now() - timedelta(days=1, hours=2), days_earlier=1
    )
    order = MedicationOrder.objects.filter(patient=world.alice).first()
    assert order is not None
    dose = given_on(world, order, first - timedelta(days=1), 80, 9)
    nurse = world.staff["nurse"]
    today = local_today(world.alice)
    amend_dose(by=nurse, patient_id=world.alice.pk, dose_id=dose.pk, corrected_mg="40", reason=WHY)
    assert set(call_back(world.alice, today).get(plan.pk, {})) == {first, first + timedelta(days=1)}
    amend_dose(by=nurse, patient_id=world.alice.pk, dose_id=dose.pk, void=True, reason=WHY)
    assert set(call_back(world.alice, today).get(plan.pk, {})) == {first, first + timedelta(days=1)}


def test_hole3_second_plan_hides_todays_bottle_from_the_window_row(world: World) -> None:
    """Two standing plans of the episode: the first (decided yesterday) sent today's and tomorrow's bottles
    home with yesterday's observed dose (its record says so); a second plan, decided an hour ago, gives one
    bottle three days on. Today's bottle is at home (`bottles_at_home`), and the dose at the window refuses
    an observed dose without it back ("today is a take-home day": the context's `take_home_days`, every
    plan). But the window's row reads only the newest plan (`ctx.take_home`): it shows her as due, without
    the "bottle returned" choice (`bottle_held` is for ended plans), and the "still due" count counts her
    (`_TAKE_HOME_TODAY`: the newest plan only). The nurse is shown a dose due that the window then refuses,
    with a bottle at home that nothing on the row mentions."""
    now = timezone.now()
    plan, first = methadone_with_take_home_plan(world, now - timedelta(days=1, hours=2), days_earlier=1)
    order = MedicationOrder.objects.filter(patient=world.alice).first()
    assert order is not None
    given_on(world, order, first - timedelta(days=1), 80, 9)
    plan.bottle_mg = {day: "80.00" for day in plan.bottles}  # handed out with yesterday's dose, recorded
    plan.save(update_fields=["bottle_mg"])
    today = local_today(world.alice)
    TakeHomePlan.objects.create(
        patient=world.alice,
        decided_by=world.staff["prescriber"],
        decided_at=now - timedelta(hours=1),
        days_in_treatment=9,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=2,
        bottles=[(today + timedelta(days=3)).isoformat()],
        enrollment=world.alice.enrollments.order_by("-started_on").first(),
    )
    assert today in bottles_at_home(world.alice, today)[plan.pk]
    nurse = world.staff["nurse"]
    try:
        record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="80")
        refused = False
    except TreatmentInvalid:
        refused = True
    assert refused  # the dose path: today is a take-home day
    (row,) = [r for r in dosing_list(nurse) if r.patient.pk == world.alice.pk]
    (count,) = [s for s in still_due(nurse) if s.patient_id == world.alice.pk]
    assert (row.status, row.due, count.due) == ("take_home", False, 0)


def test_hole4_void_after_a_prescribers_end_leaves_the_hand_out_completed(world: World) -> None:
    """Today's 80 mg dose hands out tomorrow's and the next day's bottles; the prescriber ends the plan from
    tomorrow (the call-back list names both). The nurse then voids today's dose (recorded in error). On a
    standing plan that void takes the bottles back (FHIR `entered-in-error`/the call-back list's "maybe",
    the nurse told so on the amendment); here nothing is re-decided: the amendment warns of nothing, the
    plan's record still says handed out at 80 mg, and FHIR keeps `completed` with no note for a hand-out
    whose dose is voided. The same two facts (bottles out, dose voided) tell two stories by the order the
    prescriber and the nurse happened to act in."""
    from keel.treatment.services.take_homes import end_take_home_plan

    plan, first = methadone_with_take_home_plan(world, timezone.now() - timedelta(hours=2))
    nurse = world.staff["nurse"]
    record_dose(by=nurse, patient_id=world.alice.pk, amount_mg="80")
    dose = DoseRecord.objects.filter(patient=world.alice).order_by("-id").first()
    assert dose is not None
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="relapse reported, bottles to come back",
        from_day=first.isoformat(),
    )
    amendment = amend_dose(by=nurse, patient_id=world.alice.pk, dose_id=dose.pk, void=True, reason=WHY)
    bottle = f"bottle-{plan.pk}-{first.strftime('%Y%m%d')}"
    assert (_dispense_status(world, bottle), bool(amendment.warnings)) == ("entered-in-error", True)
