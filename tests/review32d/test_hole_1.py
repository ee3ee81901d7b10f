"""Review 32d hole 1: a dose voided, corrected back up (the end stands: another plan covers a day of the run),
then corrected DOWN to a total after which the window would not give the 80 mg bottles at home: the end and
the nurse's message say the voided dose was "corrected back up" to 40 mg. `core.dose_history.low_before` reads
any earlier lower total (the void's 0) as the low point, not the newest step (80 -> 40 is a correction down),
so `reword.down_again` is never reached."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keel.patients.models import local_today
from keel.treatment.models import DoseAmendment, TakeHomePlan
from tests.conftest import World
from tests.factories import corrected
from tests.review32d._setup import run_left_two_days_ago


def _second_plan(world: World) -> None:
    """A prescriber decided a new plan an hour ago with a bottle for tomorrow (rows: the history)."""
    alice = world.alice
    tomorrow = local_today(alice) + timedelta(days=1)
    TakeHomePlan.objects.create(
        patient=alice,
        decided_by=world.staff["prescriber"],
        decided_at=timezone.now() - timedelta(hours=1),
        days_in_treatment=11,
        criteria={},
        decision={"decision": "eligible"},
        max_supply_days=1,
        bottles=[tomorrow.isoformat()],
        enrollment=alice.enrollments.order_by("-started_on").first(),
    )


def _void_back_then_down(world: World) -> tuple[TakeHomePlan, DoseAmendment]:
    """80 mg two days ago, its three bottles home; voided; a new plan decided; corrected back to 80 mg (the
    end stands as corrected back); then corrected down to 40 mg. The plan and the last amendment."""
    plan, dose, _today = run_left_two_days_ago(world)
    corrected(world, dose, void=True)
    _second_plan(world)
    corrected(world, dose, corrected_mg="80")
    last = corrected(world, dose, corrected_mg="40")
    plan.refresh_from_db()
    return plan, last


def test_end_words_never_say_back_up_after_a_correction_down(world: World) -> None:
    plan, _last = _void_back_then_down(world)
    assert "later corrected back to 40 mg" not in plan.end_reason


def test_nurse_never_told_back_up_after_a_correction_down(world: World) -> None:
    _plan, last = _void_back_then_down(world)
    told = " ".join(r.text for r in last.warnings or ())
    assert "is now corrected back up" not in told
