"""Issue #13, the window half, in the core: the first buprenorphine dose waits for "ready", ceilings against
entry errors (policy below a hard bound no override passes), a hold that stands, reasons of substance."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core import rules
from keel.core.reasons import reason_problem
from keel.core.rules.inputs import InvalidInput
from keel.core.rules.policy import LIMITS
from keel.core.rules.window import hard_bound

METHADONE = rules.get("methadone-dose-check")
BUP = rules.get("buprenorphine-dose-limit")


def methadone(**kw: Any) -> str:
    raw = {"treatment_day": 20, "given_today_mg": 0, "requested_mg": 80, "previous_day_mg": 80, **kw}
    return METHADONE.run(raw).decision


def bup(**kw: Any) -> str:
    raw = {"phase": "maintenance", "given_today_mg": 0, "requested_mg": 16, **kw}
    return BUP.run(raw).decision


# --- Reasons of substance -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "   ", "x", "ok", "ok ok ok ok ok ok", "xxxxxxxxxxxxxxxxxxxx", "per protocol"]
)
def test_a_token_reason_is_not_one_of_substance(text: str) -> None:
    assert reason_problem(text) != ""


def test_a_clinical_reason_is_one_of_substance() -> None:
    assert reason_problem("COWS 14 at 2 h, still in withdrawal") == ""


# --- The verdict gates the first buprenorphine dose ---------------------------------------------------------


@pytest.mark.parametrize("verdict", ["wait", "not_standard", "low_dose", "undecided"])
def test_a_first_dose_before_ready_is_refused(verdict: str) -> None:
    assert bup(phase="day1", requested_mg=4, first_dose=True, start_verdict=verdict) == "not_ready"


def test_the_first_dose_gate_is_the_default_when_the_verdict_is_not_given() -> None:
    assert bup(phase="day1", requested_mg=4, first_dose=True) == "not_ready"


def test_a_first_dose_when_ready_is_allowed() -> None:
    assert bup(phase="day1", requested_mg=4, first_dose=True, start_verdict="ready") == "allowed"


def test_a_prescribers_start_override_lets_the_first_dose_through() -> None:
    assert bup(phase="day1", requested_mg=4, first_dose=True, start_verdict="wait", start_override=True) == (
        "allowed"
    )


def test_the_not_ready_reason_names_the_verdict_in_words() -> None:
    decision = BUP.run(
        {"phase": "day1", "given_today_mg": 0, "requested_mg": 4, "first_dose": True, "start_verdict": "wait"}
    )
    assert "not ready yet" in decision.reasons[0].text


def test_a_later_dose_of_the_start_is_not_gated_again() -> None:
    assert bup(phase="day1", given_today_mg=4, requested_mg=4, start_verdict="wait") == "allowed"


# --- Ceilings against entry errors --------------------------------------------------------------------------


def test_buprenorphine_24_mg_a_day_raises_nothing() -> None:
    assert bup(requested_mg=24) == "allowed"  # correction 1: no warning at 24 mg


def test_buprenorphine_32_mg_a_day_is_within_the_default_check() -> None:
    assert bup(requested_mg=16, given_today_mg=16) == "allowed"


def test_buprenorphine_above_the_daily_check_needs_an_override() -> None:
    assert bup(requested_mg=8, given_today_mg=32) == "needs_override"


def test_buprenorphine_above_the_daily_check_with_an_override_is_allowed_and_says_so() -> None:
    assert bup(requested_mg=8, given_today_mg=32, documented_rationale=True) == "allowed_with_rationale"


def test_buprenorphine_past_the_hard_bound_is_refused_even_with_an_override() -> None:
    assert bup(requested_mg=10, given_today_mg=56, documented_rationale=True) == "refused"


def test_a_buprenorphine_single_dose_above_its_check_needs_an_override() -> None:
    assert bup(requested_mg=40) == "needs_override"


def test_methadone_300_typed_for_30_needs_an_override() -> None:
    assert methadone(requested_mg=300, previous_day_mg=300) == "needs_override"


def test_a_methadone_single_dose_past_the_hard_bound_is_refused_with_an_override() -> None:
    assert methadone(requested_mg=301, previous_day_mg=300, documented_rationale=True) == "refused"


def test_a_methadone_total_past_the_hard_bound_is_refused_with_an_override() -> None:
    assert methadone(requested_mg=150, given_today_mg=260, documented_rationale=True) == "refused"


def test_a_methadone_total_above_the_daily_check_needs_an_override() -> None:
    assert methadone(requested_mg=100, given_today_mg=110, previous_day_mg=210) == "needs_override"


def test_a_methadone_total_above_the_daily_check_with_an_override_is_allowed() -> None:
    assert (
        methadone(requested_mg=100, given_today_mg=110, previous_day_mg=210, documented_rationale=True)
        == "allowed_with_rationale"
    )


def test_an_ordinary_methadone_dose_is_allowed() -> None:
    assert methadone() == "allowed"


@pytest.mark.parametrize(
    ("rule", "field", "bound"),
    [
        ("methadone-dose-check", "single_dose_max_mg", 300),
        ("methadone-dose-check", "daily_total_max_mg", 400),
        ("buprenorphine-dose-limit", "single_dose_max_mg", 48),
        ("buprenorphine-dose-limit", "daily_total_max_mg", 64),
    ],
)
def test_each_ceiling_has_a_hard_bound(rule: str, field: str, bound: float) -> None:
    assert hard_bound(rule, field) == bound


@pytest.mark.parametrize("rule", ["methadone-dose-check", "buprenorphine-dose-limit"])
@pytest.mark.parametrize("field", ["single_dose_max_mg", "daily_total_max_mg"])
def test_a_policy_cannot_raise_a_ceiling_past_its_hard_bound(rule: str, field: str) -> None:
    raw = (
        {"treatment_day": 20, "given_today_mg": 0, "requested_mg": 80}
        if rule.startswith("methadone")
        else {"phase": "maintenance", "given_today_mg": 0, "requested_mg": 8}
    )
    with pytest.raises(InvalidInput) as exc:
        rules.get(rule).run(raw, {field: LIMITS[(rule, field)].ceiling + 1})  # type: ignore[operator]
    assert exc.value.errors[0].field == f"policy.{field}"


def test_buprenorphines_daily_check_can_never_sit_at_24_mg() -> None:
    with pytest.raises(InvalidInput):
        BUP.run({"phase": "maintenance", "given_today_mg": 0, "requested_mg": 8}, {"daily_total_max_mg": 24})


# --- A hold means stop --------------------------------------------------------------------------------------


def test_an_open_hold_stops_a_methadone_dose() -> None:
    assert methadone(hold_open=True) == "held_earlier"


def test_an_open_hold_stops_a_methadone_dose_even_with_an_override() -> None:
    assert methadone(hold_open=True, documented_rationale=True) == "held_earlier"


def test_an_open_hold_stops_a_buprenorphine_dose() -> None:
    assert bup(hold_open=True) == "held_earlier"


def test_the_hold_reason_names_the_prescriber() -> None:
    decision = METHADONE.run({"treatment_day": 3, "given_today_mg": 0, "requested_mg": 30, "hold_open": True})
    assert "prescriber" in decision.reasons[0].text


# --- Methadone: titration over time, missed doses, the first day --------------------------------


def test_an_increase_measured_from_the_last_observed_dose_not_yesterday() -> None:
    # yesterday was a take-home day (no observed dose): the comparison is the last observed day, 60 mg
    assert methadone(requested_mg=80, previous_day_mg=None, last_observed_mg=60) == "needs_override"


def test_a_dose_with_no_comparison_after_day_one_is_a_first_day_dose() -> None:
    assert methadone(requested_mg=80, previous_day_mg=None) == "needs_override"


def test_a_first_day_dose_without_a_comparison_within_the_limits_is_allowed() -> None:
    assert methadone(requested_mg=30, previous_day_mg=None) == "allowed"


def test_an_increase_too_soon_after_the_last_one_needs_an_override() -> None:
    assert methadone(requested_mg=90, last_observed_mg=80, days_since_last_increase=2) == "needs_override"


def test_an_increase_after_the_wait_is_allowed() -> None:
    assert methadone(requested_mg=90, last_observed_mg=80, days_since_last_increase=3) == "allowed"


def test_a_cumulative_rise_over_the_window_needs_an_override() -> None:
    assert (
        methadone(requested_mg=90, last_observed_mg=80, days_since_last_increase=3, window_low_mg=65)
        == "needs_override"
    )


def test_a_rise_within_the_window_limit_is_allowed() -> None:
    assert methadone(requested_mg=90, last_observed_mg=80, days_since_last_increase=3, window_low_mg=70) == (
        "allowed"
    )


@pytest.mark.parametrize(("missed", "mg", "verdict"), [(1, 80, "allowed"), (2, 80, "allowed")])
def test_one_or_two_missed_days_change_nothing(missed: int, mg: float, verdict: str) -> None:
    policy = {"reassess_after_missed_days": 4}
    decision = METHADONE.run(
        {
            "treatment_day": 20,
            "given_today_mg": 0,
            "requested_mg": mg,
            "last_observed_mg": 80,
            "missed_days_in_a_row": missed,
        },
        policy,
    )
    assert decision.decision == verdict


def ladder(missed: int, mg: float, **kw: Any) -> str:
    raw = {
        "treatment_day": 20,
        "given_today_mg": 0,
        "requested_mg": mg,
        "last_observed_mg": 80,
        "missed_days_in_a_row": missed,
        **kw,
    }
    return METHADONE.run(raw, {"reassess_after_missed_days": 4}).decision


def test_three_missed_days_allow_half_the_dose() -> None:
    assert ladder(3, 40) == "allowed"


def test_three_missed_days_refuse_more_than_half() -> None:
    assert ladder(3, 45) == "needs_override"


def test_four_missed_days_need_the_prescriber() -> None:
    assert ladder(4, 30) == "needs_reassessment"


def test_four_missed_days_with_an_override_keep_the_restart_cap_visible() -> None:
    decision = METHADONE.run(
        {
            "treatment_day": 20,
            "given_today_mg": 0,
            "requested_mg": 40,
            "last_observed_mg": 120,
            "missed_days_in_a_row": 4,
            "documented_rationale": True,
        },
        {"reassess_after_missed_days": 4},
    )
    assert decision.decision == "allowed_with_rationale"


def test_five_missed_days_are_a_new_induction_with_the_first_days_limits() -> None:
    decision = METHADONE.run(
        {
            "treatment_day": 20,
            "given_today_mg": 0,
            "requested_mg": 35,
            "last_observed_mg": 80,
            "missed_days_in_a_row": 5,
            "documented_rationale": False,
        },
        {"reassess_after_missed_days": 4},
    )
    assert decision.decision == "needs_reassessment"


def test_a_reinduction_dose_above_the_first_dose_limit_is_not_lifted_by_reassessment_alone() -> None:
    # the program reassesses after 4 days but the new induction starts at 5: a reason documents the
    # reassessment, and the dose must still be within the first dose limit or be overridden for that total
    decision = METHADONE.run(
        {
            "treatment_day": 20,
            "given_today_mg": 0,
            "requested_mg": 35,
            "last_observed_mg": 80,
            "missed_days_in_a_row": 5,
            "documented_rationale": True,
        },
        {"reassess_after_missed_days": 4},
    )
    assert "new induction" in " ".join(r.text for r in decision.reasons)


def test_the_first_single_dose_limit_is_separate_from_the_day_total() -> None:
    assert methadone(treatment_day=1, requested_mg=35, previous_day_mg=None) == "needs_override"


def test_the_first_day_total_default_is_the_labels_40_mg() -> None:
    assert methadone(treatment_day=1, given_today_mg=30, requested_mg=15, previous_day_mg=None) == (
        "needs_override"
    )


def test_a_first_day_supplement_within_40_mg_is_allowed() -> None:
    assert methadone(treatment_day=1, given_today_mg=30, requested_mg=10, previous_day_mg=None) == "allowed"


def test_the_first_day_total_cannot_be_set_past_the_rules_50_mg() -> None:
    with pytest.raises(InvalidInput):
        METHADONE.run(
            {"treatment_day": 1, "given_today_mg": 0, "requested_mg": 30}, {"first_day_total_max_mg": 60}
        )


# --- The re-dose interval (the reviewer's second pass) ------------------------------------------------------


def test_a_methadone_dose_a_minute_after_the_last_needs_an_override() -> None:
    assert methadone(given_today_mg=80, requested_mg=10, hours_since_last_dose=1 / 60) == "needs_override"


def test_a_methadone_dose_just_inside_two_hours_needs_an_override() -> None:
    assert methadone(hours_since_last_dose=1.99) == "needs_override"


def test_a_methadone_dose_at_two_hours_is_allowed() -> None:
    assert methadone(hours_since_last_dose=2) == "allowed"


def test_a_methadone_split_dose_with_a_documented_reason_is_allowed_and_logged() -> None:
    # lane meth35: an early re-dose override, not a limit override, lifts the interval
    assert methadone(hours_since_last_dose=0.1, redose_override=True) == "allowed_with_rationale"


def test_a_buprenorphine_dose_two_minutes_after_the_last_needs_an_override() -> None:
    assert bup(given_today_mg=4, requested_mg=4, hours_since_last_dose=2 / 60) == "needs_override"


def test_a_buprenorphine_re_dose_at_two_hours_is_allowed() -> None:
    assert bup(given_today_mg=4, requested_mg=4, hours_since_last_dose=2) == "allowed"


def test_the_interval_reason_cites_its_sources() -> None:
    raw = {"phase": "day1", "given_today_mg": 4, "requested_mg": 4, "hours_since_last_dose": 0.05}
    assert "fda-bup-label-summary" in BUP.run(raw).sources


@pytest.mark.parametrize(
    "rule, value",
    [("methadone-dose-check", 0), ("methadone-dose-check", 1.5), ("buprenorphine-dose-limit", 0)],
)
def test_the_re_dose_interval_has_a_safe_floor(rule: str, value: float) -> None:
    with pytest.raises(InvalidInput):
        rules.get(rule).run(
            {"phase": "day1", "treatment_day": 1, "given_today_mg": 0, "requested_mg": 4},
            {"redose_min_hours": value},
        )


def test_a_negative_interval_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as exc:
        methadone(hours_since_last_dose=-1)
    assert exc.value.errors[0].field == "hours_since_last_dose"


def test_the_low_dose_ceiling_is_bounded_by_the_reference() -> None:
    limit = LIMITS[("buprenorphine-dose-limit", "low_dose_day1_max_mg")]
    assert (limit.floor, limit.ceiling) == (0.2, 1)


def test_the_naltrexone_course_is_bounded_by_the_interval() -> None:
    limit = LIMITS[("naltrexone-readiness", "continuing_course_days")]
    assert (limit.floor, limit.ceiling) == (28, 42)
