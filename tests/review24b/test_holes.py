"""Review 24b: an OTP medical director and the dispensary pharmacist attack the take-home bottle path after
lane fix23d (a correction down of an earlier day's dose whose run reaches today). One failing test per hole;
each docstring says what the clinician does, what Keel does, what it should do, and the severity."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta

from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, DoseRecord, TakeHomePlan
from keel.treatment.queries import plan_days
from keel.treatment.queries.take_home_plans import held_bottles
from keel.treatment.services.common import PlanAlreadyEnded
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.orders import prescribe
from keel.treatment.services.take_homes import end_take_home_plan
from tests.conftest import World
from tests.factories import given_daily

REASON = "Pharmacist recount of the dispensing log shows the amount was keyed wrongly"


def _three_bottles_from_yesterday(world: World, *, recorded: bool = True) -> tuple[TakeHomePlan, date]:
    """Alice on methadone 80 mg, given 80 mg at the window every day up to the day before yesterday (T-2),
    and a plan decided on T-3 of three bottles, yesterday, today and tomorrow, which went home with T-2's
    observed dose (`recorded`: their 80 mg kept on the plan, as the dose path keeps them since session 22;
    False: a plan from before the amounts were kept). Returns the plan and today."""
    alice = world.alice
    today = local_today(alice)
    order = prescribe(
        by=world.staff["prescriber"],
        patient_id=alice.pk,
        medication="methadone",
        dose_mg="80",
        order_version=0,
    )
    given_daily(world, order, [today - timedelta(days=n) for n in range(10, 1, -1)], 80)
    run = [today - timedelta(days=1), today, today + timedelta(days=1)]
    plan = TakeHomePlan.objects.create(
        patient=alice,
        decided_by=world.staff["prescriber"],
        decided_at=datetime.combine(today - timedelta(days=3), time(16), tzinfo=UTC),
        days_in_treatment=9,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=3,
        bottles=[d.isoformat() for d in run],
        bottle_mg={d.isoformat(): "80.00" for d in run} if recorded else {},
        enrollment=alice.enrollments.order_by("-started_on").first(),
    )
    return plan, today


def _dose_of(world: World, day: date) -> DoseRecord:
    return DoseRecord.objects.get(patient=world.alice, local_date=day, medication="methadone")


def _correct(world: World, day: date, mg: str) -> DoseAmendment:
    return amend_dose(
        by=world.staff["nurse"],
        patient_id=world.alice.pk,
        dose_id=_dose_of(world, day).pk,
        corrected_mg=mg,
        reason=REASON,
    )


def test_small_correction_after_a_lowered_order_rewrites_bottles_already_handed_out(world: World) -> None:
    """Clinician: bottles for yesterday, today and tomorrow went home at 80 mg with T-2's dose. This morning
    the prescriber lowers the order to 70 mg (not deferred); the pharmacist then finds T-2's dose was keyed
    80 instead of 78 and the nurse corrects it (a small correction down; the window would give every bottle).
    Keel: `redecide_bottles` re-judges the run at the CURRENT order (`order_in_force` of a non-deferred order
    is every day, past ones too) and, amounts differing, `_set_bottles` rewrites the record of what left the
    clinic: yesterday's bottle (drunk) and today's and tomorrow's (in her hands, holding 80 mg) become 70 mg,
    and the nurse is told they were "handed out with this dose". Then `bottles_at_home_above` (the order's
    and the hold's warnings) no longer sees 80 mg bottles at home above a 70 mg order, and FHIR sends 70 mg.
    Should: a correction never rewrites the mg of a bottle already handed out (it holds what was poured);
    only bottles not yet handed out are judged at the current order. Severity: HIGH (record of a controlled
    substance in the person's hands falsified; the lowering's safety warning silenced)."""
    plan, today = _three_bottles_from_yesterday(world)
    prescribe(by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="70")
    _correct(world, today - timedelta(days=2), "78")
    plan.refresh_from_db()
    run = [today - timedelta(days=1), today, today + timedelta(days=1)]
    assert plan.bottle_mg == {d.isoformat(): "80.00" for d in run}, plan.bottle_mg


def test_order_lowered_after_take_back_does_not_warn_of_the_bottle_still_at_home(world: World) -> None:
    """Clinician: T-2's dose is corrected down 80 -> 40 mg; Keel takes back today's and tomorrow's 80 mg
    bottles (plan ends yesterday) and tells the nurse to call the person back. Before anyone reaches her the
    prescriber does what the words ask and re-writes the order at 40 mg. Keel: `_set_bottles` moved the
    bottles out of `bottle_mg`, so `bottles_at_home_above` (the order's BOTTLES_AT_HOME warning, and a
    hold's AT_HOME_AFTER_HOLD) is silent, while the supply check (`held_bottles`) still counts tomorrow's
    bottle as in her hands. Should: a bottle taken back by the record but not yet brought back is still at
    home for every warning (named with its 80 mg) until it is recorded back. Severity: HIGH (80 mg at home
    for a person the prescriber just judged safe only at 40 mg; nobody is told)."""
    plan, today = _three_bottles_from_yesterday(world)
    tomorrow = today + timedelta(days=1)
    _correct(world, today - timedelta(days=2), "40")
    plan.refresh_from_db()
    assert plan.ended_on == today - timedelta(days=1)  # the fix23d take-back happened
    assert tomorrow in held_bottles(world.alice, None, today).get(plan.pk, set())  # supply: still held
    order = prescribe(
        by=world.staff["prescriber"], patient_id=world.alice.pk, medication="methadone", dose_mg="40"
    )
    assert any(tomorrow.isoformat() in r.text for r in order.warnings), order.warnings


def test_correction_undone_leaves_bottles_taken_back_from_today(world: World) -> None:
    """Clinician: the nurse corrects T-2's dose 80 -> 40 by mistake (wrong row), sees it, and corrects it back
    to 80 a minute later. Keel: the first correction took back today's and tomorrow's bottles and ended the
    plan yesterday; the second does nothing (`run_from` reads the ended plan: the run is only yesterday,
    wholly past, skipped), so the plan stays ended, the bottles stay 'taken back' (FHIR entered-in-error),
    today and tomorrow are clinic days (missed doses if she drinks her bottles as told), and the nurse is
    still under orders to call her back. The same slip on yesterday's dose is undone by the correction back
    (`_kept_back_on` -> `_go_on_after_kept_back`). Should: a correction restoring a total after which the
    window gives the bottles restores the run it took back (as for yesterday's dose), or at least tells the
    nurse. Severity: MEDIUM (fails toward the window, but wrong record, false missed doses, wrong words)."""
    plan, today = _three_bottles_from_yesterday(world)
    day = today - timedelta(days=2)
    _correct(world, day, "40")
    plan.refresh_from_db()
    assert plan.ended_on == today - timedelta(days=1)
    _correct(world, day, "80")
    plan.refresh_from_db()
    assert today in plan_days(plan) and (today + timedelta(days=1)).isoformat() in (plan.bottle_mg or {})


def test_take_back_of_a_plan_without_recorded_amounts_tells_the_nurse_nothing_left(world: World) -> None:
    """Clinician: a long-running plan decided before bottle amounts were kept (session 22; its `bottle_mg` is
    empty). T-2's dose is corrected down 80 -> 40. Keel: `_take_back_from_today` finds no recorded bottles
    (`had` empty) and returns KEPT_BACK: "Take-home bottles for <today>, <tomorrow> not handed out", while the
    bottles did leave with T-2's dose (the supply check `held_bottles` and FHIR, told from the observed doses,
    say so). The nurse reads "not handed out" and calls nobody. Should: tell her the bottles already handed
    over are taken back and to call the person back (TAKEN_BACK_PLAN_STOPS), as for a recorded run.
    Severity: HIGH (80 mg bottles at home after a correction the window would refuse them at; no call)."""
    plan, today = _three_bottles_from_yesterday(world, recorded=False)
    tomorrow = today + timedelta(days=1)
    amendment = _correct(world, today - timedelta(days=2), "40")
    plan.refresh_from_db()
    assert plan.ended_on == today - timedelta(days=1)
    assert tomorrow in held_bottles(world.alice, None, today).get(plan.pk, set())  # they did leave
    words = " ".join(r.text for r in amendment.warnings)
    assert "not handed out" not in words and "Call the person back" in words, words


def test_bottles_brought_back_after_take_back_cannot_be_recorded(world: World) -> None:
    """Clinician: after the take-back (T-2's dose corrected 80 -> 40) the nurse calls the person, who brings
    today's and tomorrow's bottles back unopened. The prescriber records them as returned. Keel: the plan
    already ended yesterday, so `end_take_home_plan` refuses (PlanAlreadyEnded) and `_check_returned_stopped`
    would refuse the days anyway (the plan covers none of them); the window's `bottle_returned` records only
    today's. Tomorrow's bottle stays 'held' for the supply check (`held_bottles`) and tomorrow's observed
    dose is refused as a take-home day unless the nurse again ticks 'bottle returned'. Should: the bottles
    the record took back can be recorded as brought back (and then count nowhere). Severity: MEDIUM."""
    plan, today = _three_bottles_from_yesterday(world)
    tomorrow = today + timedelta(days=1)
    _correct(world, today - timedelta(days=2), "40")
    with contextlib.suppress(PlanAlreadyEnded):  # the refusal is the hole; what matters is the record
        end_take_home_plan(
            by=world.staff["prescriber"],
            patient_id=world.alice.pk,
            plan_id=plan.pk,
            reason="Person brought both bottles back unopened after our telephone call",
            returned_days=[today.isoformat(), tomorrow.isoformat()],
        )
    assert tomorrow not in held_bottles(world.alice, None, today).get(plan.pk, set())


def test_plan_end_reason_says_bottles_were_taken_back_while_they_are_at_home(world: World) -> None:
    """Clinician: the evening nurse corrects T-2's dose 80 -> 40; she alone is told "Call the person back"
    (`DoseAmendment.warnings` is not a column: empty on a correction read back). The morning nurse and the
    prescriber read the plan on the medication page: its end reason (TAKEN_BACK_FROM_TODAY) says "The bottles
    for <today>, <tomorrow> were taken back", in the words a dispensary uses for bottles returned to the
    shelf. Keel: nothing kept on the record says the bottles are still in the person's hands and that someone
    must call her. Should: the kept reason says the bottles were handed over and may still be at home, and
    that the person is to be called back to bring them in. Severity: HIGH (the call-back is lost at the
    shift change; 80 mg bottles stay at home after the window refused that dose)."""
    plan, today = _three_bottles_from_yesterday(world)
    _correct(world, today - timedelta(days=2), "40")
    plan.refresh_from_db()
    assert plan.ended_on == today - timedelta(days=1)
    assert "call" in plan.end_reason.lower(), plan.end_reason


def test_bottle_already_brought_back_is_named_in_the_call_back(world: World) -> None:
    """Clinician: this morning the person came to the window, handed back today's bottle unopened and took
    an observed dose (`returned_days` holds today). At noon the pharmacist's recount corrects T-2's dose
    80 -> 40. Keel: `_take_back_from_today` takes back today's and tomorrow's bottles and tells the nurse
    "The take-home bottles for <today>, <tomorrow> (80 mg), already handed over ... Call the person back to
    bring them in": today's bottle is on the dispensary shelf. Should: name only the bottles not brought
    back (tomorrow's). Severity: LOW (a wasted call, but the words teach nurses to distrust the list)."""
    plan, today = _three_bottles_from_yesterday(world)
    plan.returned_days = [today.isoformat()]
    plan.save(update_fields=["returned_days"])
    amendment = _correct(world, today - timedelta(days=2), "40")
    words = " ".join(r.text for r in amendment.warnings)
    assert (today + timedelta(days=1)).isoformat() in words, words
    assert today.isoformat() not in words, words


def test_bottle_left_at_home_by_a_prescribers_end_is_not_named_in_the_call_back(world: World) -> None:
    """Clinician: this morning the prescriber ended the plan from tomorrow on (a relapse; no bottle came back
    yet: tomorrow's 80 mg bottle is still at home, `held_bottles` counts it). At noon the pharmacist's recount
    corrects T-2's dose 80 -> 40: the window would give no 80 mg bottle after it. Keel: `run_from` reads the
    ended plan, so the run is only yesterday and today; `_take_back_from_today` takes back today's bottle and
    tells the nurse to call the person back for <today> only. Tomorrow's 80 mg bottle, refused by the window
    just the same and still in her hands, is not named (and stays "handed out" in the record). Should: the
    call-back names every bottle handed out with that dose and not brought back, whatever ended the plan.
    Severity: HIGH (the nurse's words leave a bottle the window refuses at home)."""
    plan, today = _three_bottles_from_yesterday(world)
    tomorrow = today + timedelta(days=1)
    end_take_home_plan(
        by=world.staff["prescriber"],
        patient_id=world.alice.pk,
        plan_id=plan.pk,
        reason="Relapse reported at counselling session, stopping take-home bottles",
        from_day=tomorrow.isoformat(),
    )
    assert tomorrow in held_bottles(world.alice, None, today).get(plan.pk, set())
    amendment = _correct(world, today - timedelta(days=2), "40")
    words = " ".join(r.text for r in amendment.warnings)
    assert today.isoformat() in words, words  # today's bottle is named: the take-back happened
    assert tomorrow.isoformat() in words, words
