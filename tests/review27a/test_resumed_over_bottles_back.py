"""Review 27a (an OTP pharmacist and a dosing nurse): a plan that goes on again after bottles were recorded
brought back. `returned_days` is the one record of bottles on the clinic's shelf; a plan that covers a
day whose bottle is on the shelf, with the nurse told it went home, leaves every reader wrong."""

from __future__ import annotations

from keel.patients.models import local_today
from keel.treatment.queries import bottles_at_home, held_bottles, plan_days
from keel.treatment.services.doses.window import record_dose
from keel.treatment.services.take_homes import record_bottles_brought_back
from tests.conftest import World
from tests.factories import corrected, handed_out_today, handed_out_yesterday

BACK = "Both bottles brought back unopened to the window; seals intact"


def _brought_back(world: World, plan_id: int, days: list[str]) -> None:
    record_bottles_brought_back(
        by=world.staff["nurse"], patient_id=world.alice.pk, plan_id=plan_id, reason=BACK, returned_days=days
    )


def test_a_new_dose_after_a_void_and_bottles_back_records_them_at_home_again(world: World) -> None:
    """Today's 80 mg dose went home with tomorrow's and the next day's bottles; the dose is voided (typed on
    the wrong line), the person is called back and the nurse records both bottles brought back. Later
    today the real 80 mg is given at the window: the plan goes on and the window tells the nurse "Take-home
    bottles handed out with this dose", so she hands both bottles out again. A pharmacist expects the
    record to say they are at home again (the supply check, the call-back list, FHIR and a later "brought
    back" all read `bottles_at_home`); on the current code they stay recorded as brought back while the
    plan covers their days: two bottles of 80 mg in the person's hands that no reader counts (a new plan's
    supply check would give those days again), and which can never be recorded brought back a second
    time. Either the plan must not go on over bottles on the shelf, or the hand-out must put them back at
    home: a covered day's bottle is never at once "handed out" and "brought back"."""
    plan, dose = handed_out_today(world)
    run = sorted(plan.bottle_mg)
    corrected(world, dose, void=True)
    _brought_back(world, plan.pk, run)
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80")
    plan.refresh_from_db()
    today = local_today(world.alice)
    covered = {d.isoformat() for d in plan_days(plan)} & set(run)
    home = {d.isoformat() for d in bottles_at_home(world.alice, today).get(plan.pk, {})}
    held = {d.isoformat() for d in held_bottles(world.alice, None, today).get(plan.pk, set())}
    assert covered <= home, f"covered {sorted(covered)} but at home {sorted(home)}"
    assert not (covered & set(plan.returned_days or [])), "a covered bottle is recorded brought back"
    assert held == home or not covered


def test_yesterdays_dose_back_up_after_the_bottles_came_back_does_not_cover_bottles_on_the_shelf(
    world: World,
) -> None:
    """Yesterday's 80 mg dose sent today's and tomorrow's bottles home. This morning a nurse corrects that
    dose to 0 mg (wrong person's line); the plan ends and the person is called back; she brings both
    bottles in and the nurse records them brought back. Then a second nurse (a stale screen: the first
    one's correction was itself the slip) corrects yesterday's dose back to 80 mg. The window tells her
    "covered by this dose again: the take-home plan goes on, and nobody needs to call the person back",
    and the plan covers today and tomorrow as take-home days again, while both bottles sit on the clinic's
    shelf. A pharmacist expects a day the plan covers to have its bottle in the person's hands: here she
    leaves with nothing for tomorrow, tomorrow is not a clinic day for the window's missed-dose checks, and
    nobody is told to hand the bottles out again (lane end26's `_after_voided` puts the bottles back on
    record without reading `returned_days`)."""
    plan, dose = handed_out_yesterday(world)
    run = sorted(plan.bottle_mg)
    corrected(world, dose, corrected_mg="0")
    _brought_back(world, plan.pk, run)
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    today = local_today(world.alice)
    covered = {d.isoformat() for d in plan_days(plan) if d >= today}
    home = {d.isoformat() for d in bottles_at_home(world.alice, today).get(plan.pk, {})}
    assert covered <= home, f"the plan covers {sorted(covered)}; bottles at home: {sorted(home)}"


def test_a_dose_later_today_after_a_keep_back_and_one_bottle_back_counts_that_bottle(world: World) -> None:
    """80 -> 0 -> 40 today (a correction back up to a total the window would not give the 80 mg bottles
    after): the run is kept back, both bottles at home on the call-back list. The person brings tomorrow's
    bottle back and the nurse records it. The prescriber then confirms 80 mg was right and the nurse
    corrects today's dose to 80: the keep back is undone and the nurse is told the bottles are handed out.
    A pharmacist expects tomorrow's bottle, handed out again, to be counted at home (and could be brought
    back again); on the current code the plan covers tomorrow while its bottle is recorded brought back."""
    plan, dose = handed_out_today(world)
    run = sorted(plan.bottle_mg)
    corrected(world, dose, corrected_mg="0")
    corrected(world, dose, corrected_mg="40")
    _brought_back(world, plan.pk, run[:1])
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    today = local_today(world.alice)
    covered = {d.isoformat() for d in plan_days(plan)} & set(run)
    home = {d.isoformat() for d in bottles_at_home(world.alice, today).get(plan.pk, {})}
    assert covered <= home, f"covered {sorted(covered)} but at home {sorted(home)}"
