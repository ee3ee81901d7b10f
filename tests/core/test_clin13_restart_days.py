"""Lane clin13 (issue #13): the first day's limits a dose on a restart day meets (one definition for the
window and a correction), and a low-dose schedule that advances by the doses given, not the calendar."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from keel.core import rules
from keel.core.induction import low_dose_progress
from keel.core.rules.buprenorphine import induction_total_over
from keel.core.rules.methadone import FIRST_DAY, NO_COMPARISON, REINDUCTION, first_day_limits

D = date(2026, 11, 16)
METHADONE = {"missed_reinduction_days": 5}
BUP = {"day1_max_mg": 8, "day2_max_mg": 16}


def day(n: int) -> date:
    return D + timedelta(days=n)


# --- Methadone: when the first day's limits apply ---


@pytest.mark.parametrize(
    ("treatment_day", "missed", "comparison", "why"),
    [
        (1, 0, None, FIRST_DAY),
        (1, 9, 30.0, FIRST_DAY),  # missed days before the first dose are no re-induction
        (8, 5, 30.0, REINDUCTION),  # the threshold itself
        (8, 6, 30.0, REINDUCTION),
        (8, 4, 30.0, None),  # one short of it: the half-dose caps instead
        (8, 0, None, NO_COMPARISON),
        (8, 0, 30.0, None),
    ],
)
def test_first_day_limits_apply(treatment_day: int, missed: int, comparison: Any, why: Any) -> None:
    assert first_day_limits(treatment_day, missed, comparison, METHADONE) == why


def test_the_window_applies_the_first_day_limits_on_a_reinduction_day() -> None:
    decision = rules.get("methadone-dose-check").run(
        {
            "treatment_day": 20,
            "given_today_mg": 0,
            "requested_mg": 35,
            "missed_days_in_a_row": 5,
            "last_observed_mg": 60,
            "documented_rationale": False,
        }
    )
    assert decision.decision in ("needs_override", "needs_reassessment")


# --- Buprenorphine: an induction day's total limit ---


@pytest.mark.parametrize(
    ("phase", "total", "over"),
    [
        ("day1", 8.0, False),
        ("day1", 8.5, True),
        ("day2", 16.0, False),
        ("day2", 16.5, True),
        ("maintenance", 40.0, False),
    ],
)
def test_induction_total_over(phase: str, total: float, over: bool) -> None:
    reason = induction_total_over(phase, total, BUP)
    assert (reason is not None) == over
    if reason is not None:
        assert ("first dose day" if phase == "day1" else "second dose day") in reason.text  # words35
        assert reason.template
        assert "%(limit)s" in reason.template


# --- A low-dose schedule advances by the doses given ---


def test_a_schedule_never_begun_is_at_step_one() -> None:
    progress = low_dose_progress([], day(6))
    assert (progress.step, progress.last_given_on, progress.missed_days) == (1, None, 0)


def test_the_step_after_the_last_one_given() -> None:
    assert low_dose_progress([day(0), day(1)], day(2)).step == 3


def test_missed_days_do_not_advance_the_schedule() -> None:
    progress = low_dose_progress([day(0), day(1)], day(5))
    assert (progress.step, progress.last_given_on, progress.missed_days) == (3, day(1), 3)


def test_a_second_dose_the_same_day_does_not_advance_it() -> None:
    assert low_dose_progress([day(0), day(1), day(1), day(2)], day(2)).step == 3


def test_doses_after_today_are_not_counted() -> None:
    assert low_dose_progress([day(0), day(4)], day(1)).step == 2


def _step(**kw: Any) -> Any:
    raw = {
        "phase": "day1",
        "given_today_mg": 0,
        "requested_mg": 1,
        "schedule_mg": 1,
        "schedule_step": 2,
        **kw,
    }
    return rules.get("buprenorphine-dose-limit").run(raw, {"restart_gap_days": 5})


def test_the_verdict_names_the_step() -> None:
    decision = _step()
    assert decision.decision == "allowed"
    assert "step 2" in decision.reasons[0].text


def test_after_missed_days_the_verdict_says_why_the_step() -> None:
    decision = _step(schedule_missed_days=2)
    assert decision.decision == "allowed"
    assert "step 2" in decision.reasons[0].text
    assert "2 days" in decision.reasons[0].text


@pytest.mark.parametrize(("missed", "verdict"), [(4, "allowed"), (5, "needs_override")])
def test_a_gap_at_the_restart_threshold_needs_a_prescriber(missed: int, verdict: str) -> None:
    decision = _step(schedule_missed_days=missed)
    assert decision.decision == verdict
    if verdict == "needs_override":
        assert "restart" in decision.reasons[0].text
        assert "step 1" in decision.reasons[0].text


def test_a_prescribers_override_passes_the_gap_with_its_reason_logged() -> None:
    decision = _step(schedule_missed_days=6, documented_rationale=True)
    assert decision.decision == "allowed_with_rationale"
    assert "prescriber" in decision.reasons[0].text
