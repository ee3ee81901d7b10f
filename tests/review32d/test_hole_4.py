"""Review 32d hole 4: yesterday she took 40 mg at the window and the window kept back her two 80 mg bottles
(today's and tomorrow's: "not handed out"); they never left the clinic. Today the nurse corrects yesterday's
dose to 80 mg (the pump log shows 80 mg). `after_keep_back` sends an earlier day's keep back to
`_go_on_after_kept_back` as though the bottles were still on the counter: the plan goes on, the record says
they were "handed out with this dose" and are at home, and today is a take-home day again, so the window
refuses her observed dose today ("give an observed dose only when today's bottle is returned unopened"): a
bottle she never had. Lane end28 made the same rule for an earlier day's "nothing given" (the end stands,
`corrected_back`); a keep back of an earlier day was left out. Also over a prescriber's end (the earlier end
given back, the kept-back bottle recorded handed out)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, TakeHomePlan
from keel.treatment.queries.take_home_plans import bottles_at_home, call_back
from keel.treatment.services import record_dose
from tests.conftest import World
from tests.factories import corrected, methadone_with_take_home_plan, prescriber_ends


def _kept_back_yesterday_corrected_today(
    world: World, *, prescriber_end: bool = False
) -> tuple[TakeHomePlan, DoseAmendment]:
    """A plan (bottles today and tomorrow) decided two days ago; yesterday (after a prescriber's end from
    tomorrow, when asked) 40 mg at the window, the bottles kept back; today that dose corrected to 80 mg.
    The plan and the amendment."""
    now = timezone.now()
    plan, first = methadone_with_take_home_plan(world, now - timedelta(days=2), days_earlier=1)
    with time_machine.travel(now - timedelta(days=1), tick=True):
        if prescriber_end:
            prescriber_ends(
                world,
                plan,
                "Relapse reported by the person; no take-home doses after tomorrow.",
                from_day=(first + timedelta(days=1)).isoformat(),
            )
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
        dose = DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")
    amendment = corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    return plan, amendment


def test_no_bottle_kept_back_yesterday_is_at_home(world: World) -> None:
    plan, _amendment = _kept_back_yesterday_corrected_today(world)
    today = local_today(world.alice)
    assert today not in bottles_at_home(world.alice, today).get(plan.pk, {})


def test_the_nurse_is_never_told_they_were_handed_out(world: World) -> None:
    _plan, amendment = _kept_back_yesterday_corrected_today(world)
    told = " ".join(r.text for r in amendment.warnings or ())
    assert "handed out with this dose" not in told


def test_the_window_doses_her_today(world: World) -> None:
    _kept_back_yesterday_corrected_today(world)
    outcome = record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    assert outcome.dose.status == DoseStatus.GIVEN


def test_over_a_prescribers_end_no_kept_back_bottle_is_at_home(world: World) -> None:
    plan, _amendment = _kept_back_yesterday_corrected_today(world, prescriber_end=True)
    today = local_today(world.alice)
    assert today not in bottles_at_home(world.alice, today).get(plan.pk, {})


def test_fhir_never_says_the_kept_back_bottle_was_dispensed(world: World) -> None:
    from keel.access.policy.areas import Area
    from keel.interop.fhir.base import Base
    from keel.interop.fhir.record import record_bundle
    from keel.interop.fhir.treatment import bottle_id

    plan, _amendment = _kept_back_yesterday_corrected_today(world)
    today = local_today(world.alice)
    bundle = record_bundle(world.alice, frozenset(Area), timezone.now(), Base("https://keel.test/fhir/R4/"))
    wanted = bottle_id(plan.pk, today)
    statuses = [
        e["resource"]["status"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "MedicationDispense" and e["resource"]["id"] == wanted
    ]
    assert statuses != ["completed"]


def test_dosed_at_the_window_today_nobody_is_called_back_for_bottles_never_given(world: World) -> None:
    """Yesterday 40 mg, the bottles kept back; today an observed dose at the window (a clinic day); then
    yesterday's dose corrected to 80 mg: the end becomes "a dose was given at the window after the bottles
    went home" and the call-back list names two bottles that never left the clinic."""
    now = timezone.now()
    plan, _first = methadone_with_take_home_plan(world, now - timedelta(days=2), days_earlier=1)
    with time_machine.travel(now - timedelta(days=1), tick=True):
        record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
        dose = DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("id")
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="40")
    corrected(world, dose, corrected_mg="80")
    assert plan.pk not in call_back(world.alice, local_today(world.alice))
