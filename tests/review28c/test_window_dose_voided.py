"""Review 28c: the window dose that ended the plan (lane fix28b, `_never_over_window`) is itself voided."""

from __future__ import annotations

import pytest

from keel.patients.models import local_today
from keel.treatment.models import DoseRecord
from keel.treatment.services.doses.window import record_dose
from tests.conftest import World
from tests.factories import corrected, handed_out_yesterday

pytestmark = pytest.mark.django_db


def test_window_dose_voided_end_no_longer_says_she_was_dosed(world: World) -> None:
    """The nurse: yesterday's dose (bottles for today and tomorrow went home) was corrected to 0 this morning,
    Alice was given 80 mg at the window, and yesterday's dose was corrected back to 80: the plan ended
    before today, its end saying "a dose was given at the window on <today>". Then today's window dose is
    voided (it was another person's: Alice drank no dose at the window today). What went wrong: the plan's
    end (medication page, API) still says a dose was given at the window today, and the call-back list still
    sends the nurse after bottles for a double dose that never happened; nothing is said at the void. The
    plan goes on again only when some later, unrelated correction of yesterday's dose happens to run
    `_undo_take_back`. What is right: the void of the window dose re-decides at once: the end no longer
    claims a window dose today (the plan covers today and tomorrow again, her bottles at home being her
    doses, or the end's words are true), and the nurse is told which."""
    plan, dose = handed_out_yesterday(world)
    alice = world.alice
    today = local_today(alice)
    corrected(world, dose, corrected_mg="0")
    record_dose(by=world.staff["nurse"], patient_id=alice.pk, amount_mg="80")
    window = DoseRecord.objects.filter(patient=alice, local_date=today).latest("id")
    corrected(world, dose, corrected_mg="80")
    plan.refresh_from_db()
    assert plan.ended_on is not None and plan.ended_on < today  # fix28b's guard ended it before today

    corrected(world, window, void=True)

    plan.refresh_from_db()
    claim = f"a dose was given at the window on {today.isoformat()}"
    assert plan.ended_on is None or claim not in plan.end_reason, plan.end_reason
