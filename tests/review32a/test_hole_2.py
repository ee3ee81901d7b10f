"""Review 32a hole 2: four bottles went home three days ago; yesterday the dose was corrected down to 40 mg
(a take-back written yesterday: "the bottles for yesterday, today, tomorrow ... are still at home until
brought back: call the person back"); today tomorrow's bottle is recorded brought back, then the dose is
corrected to 60 mg (the window still would not give the 80 mg bottles). `undo.after_take_back_since` calls
`reword.end_said_again`, which keeps the days of yesterday's words: the end still tells the nurse to call
back tomorrow's bottle, which stands on the clinic's shelf, and yesterday's, a day gone, while the
call-back list (and FHIR) name today's bottle alone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from keel.treatment.queries.take_home_plans import call_back
from keel.treatment.services.doses.corrections import amend_dose
from keel.treatment.services.take_homes.ending import record_bottles_brought_back
from tests.review32a._setup import four_bottles_home_three_days_ago

pytestmark = pytest.mark.django_db

WHY = "Pump log: the amount typed at the window was wrong, corrected from the log."


def _brought_back_then_60(world):  # type: ignore[no-untyped-def]
    plan, dose, today = four_bottles_home_three_days_ago(world)
    yesterday = datetime.combine(today - timedelta(days=1), time(18), tzinfo=UTC)
    nurse, alice = world.staff["nurse"], world.alice
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="40", now=yesterday)
    tomorrow = today + timedelta(days=1)
    record_bottles_brought_back(
        by=nurse,
        patient_id=alice.pk,
        plan_id=plan.pk,
        reason="She brought tomorrow's bottle back unopened at the window.",
        returned_days=[tomorrow.isoformat()],
    )
    amend_dose(by=nurse, patient_id=alice.pk, dose_id=dose.pk, reason=WHY, corrected_mg="60")
    plan.refresh_from_db()
    words = plan.end_reason.split(" Brought back (", 1)[0]
    return plan, words, today


def test_the_call_back_list_names_today_alone(world) -> None:  # type: ignore[no-untyped-def]
    plan, _words, today = _brought_back_then_60(world)
    assert set(call_back(world.alice, today)[plan.pk]) == {today}


def test_the_end_does_not_call_back_the_bottle_on_the_shelf(world) -> None:  # type: ignore[no-untyped-def]
    _plan, words, today = _brought_back_then_60(world)
    assert (today + timedelta(days=1)).isoformat() not in words


def test_the_end_does_not_call_back_a_day_gone(world) -> None:  # type: ignore[no-untyped-def]
    _plan, words, today = _brought_back_then_60(world)
    assert (today - timedelta(days=1)).isoformat() not in words
