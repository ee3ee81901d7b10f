"""Review 32d hole 5: a weekend run of four bottles went home with yesterday's 80 mg; today she brings
today's bottle back unopened and is dosed at the window; the nurse corrects yesterday's dose to 40 mg (kept
back: the three bottles at home called back), then to 60 mg, a total after which the window still would not
give the 80 mg bottles (20 mg over the 10 mg titration step). `after_keep_back` -> `_go_on_after_kept_back`
meets the bottle on the shelf and writes `corrected_back` without judging the run at 60 mg: the end becomes
"corrected down and later back up to 60 mg" (kind `CORRECTED_BACK`) and the nurse is told "the dose was
corrected down and is now back up", the window's reason (80 mg bottles after a 60 mg day) gone from both."""

from __future__ import annotations

from keel.treatment.models import DoseAmendment, DoseRecord, DoseStatus, PlanEnd, TakeHomePlan
from keel.treatment.services import record_dose
from tests.conftest import World
from tests.factories import corrected
from tests.review32d._setup import four_bottles_home_yesterday


def _bottle_back_then_down_then_partly_up(world: World) -> tuple[TakeHomePlan, DoseAmendment]:
    """Four bottles home yesterday; today's brought back at the window and an observed 80 mg given;
    yesterday's dose corrected to 40 mg, then to 60 mg. The plan and the last amendment."""
    plan, _today = four_bottles_home_yesterday(world)
    dose = DoseRecord.objects.filter(patient=world.alice, status=DoseStatus.GIVEN).latest("local_date", "id")
    record_dose(by=world.staff["nurse"], patient_id=world.alice.pk, amount_mg="80", bottle_returned=True)
    corrected(world, dose, corrected_mg="40")
    last = corrected(world, dose, corrected_mg="60")
    plan.refresh_from_db()
    return plan, last


def test_the_end_is_never_read_as_corrected_back_up(world: World) -> None:
    plan, _last = _bottle_back_then_down_then_partly_up(world)
    assert plan.end_kind != PlanEnd.CORRECTED_BACK


def test_the_nurse_is_never_told_back_up_when_still_too_low(world: World) -> None:
    _plan, last = _bottle_back_then_down_then_partly_up(world)
    told = " ".join(r.text for r in last.warnings or ())
    assert "is now back up" not in told
