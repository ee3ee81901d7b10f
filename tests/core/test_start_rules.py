"""Issue #13, the start: every opioid counts, a fresh withdrawal score, fentanyl as program policy,
XR-naltrexone after methadone or buprenorphine, no NaN anywhere, and policy bounds no program can cross
(reference sections 9-11, corrections 5, 10 and 11)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from keel.core import rules
from keel.core.rules import policy
from keel.core.rules.inputs import InvalidInput, loads_json, number_from_text


def uses(**hours: float) -> list[dict[str, Any]]:
    return [{"opioid": o, "hours_since_last_use": h} for o, h in hours.items()]


def ready(
    opioids: list[dict[str, Any]], cows: int = 13, age: float = 0.5, p: dict[str, Any] | None = None
) -> Any:
    raw = {"opioids": opioids, "cows_total": cows, "cows_age_hours": age}
    return rules.get("buprenorphine-readiness").run(raw, p)


def texts(decision: Any) -> str:
    return " | ".join(r.text for r in decision.reasons)


# --- Every opioid counts ------------------------------------------------------------------------------------


def test_heroin_14_h_ago_does_not_hide_methadone_2_days_ago() -> None:
    assert ready(uses(heroin=14, methadone=48)).decision == "wait"


def test_the_reasons_name_each_opioid_and_its_wait() -> None:
    said = texts(ready(uses(heroin=14, methadone=48)))
    assert "Heroin: last used 14 h ago; the wait of 12 h is met." in said
    assert "Methadone: last used 48 h ago; the wait of 72 h is not met: 24 h more." in said


def test_the_order_of_the_list_does_not_matter() -> None:
    first = ready(uses(methadone=48, heroin=14))
    second = ready(uses(heroin=14, methadone=48))
    assert (first.decision, first.details) == (second.decision, second.details)


def test_heroin_today_does_not_hide_fentanyl_yesterday() -> None:
    assert ready(uses(heroin=14, fentanyl=20)).decision == "not_standard"


def test_an_extended_release_opioid_keeps_its_own_longer_wait() -> None:
    assert ready(uses(heroin=30, rx_long=20)).decision == "wait"


def test_the_strictest_opioid_is_named_in_the_details() -> None:
    rows = {r["opioid"]: r["status"] for r in ready(uses(heroin=14, methadone=48)).details["opioids"]}
    assert rows == {"heroin": "met", "methadone": "waiting"}


def test_an_opioid_used_before_the_lookback_does_not_count() -> None:
    d = ready(uses(heroin=14, methadone=24 * 8))
    assert d.decision == "ready"


def test_fentanyl_before_the_lookback_does_not_count() -> None:
    assert ready(uses(heroin=14, fentanyl=24 * 8)).decision == "ready"


def test_a_longer_program_lookback_counts_fentanyl_from_8_days_ago() -> None:
    assert ready(uses(heroin=14, fentanyl=24 * 8), p={"lookback_days": 14}).decision == "not_standard"


def test_buprenorphine_itself_needs_no_wait() -> None:
    assert ready(uses(heroin=14, buprenorphine=1)).decision == "ready"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"opioids": []}, "opioids"),
        ({"opioids": "heroin"}, "opioids"),
        ({"opioids": uses(heroin=14) + uses(heroin=20)}, "opioids[1].opioid"),
        ({"opioids": [{"opioid": "heroin"}]}, "opioids[0].hours_since_last_use"),
        ({"opioids": [{"opioid": "heroin", "hours_since_last_use": -1}]}, "opioids[0].hours_since_last_use"),
        ({"last_opioid": "heroin"}, "last_opioid"),
    ],
)
def test_a_bad_opioid_list_is_refused_by_name(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.get("buprenorphine-readiness").run({"cows_total": 13, "cows_age_hours": 0.5, **raw})
    assert field in {e.field for e in exc.value.errors}


def test_the_cows_age_is_required() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.get("buprenorphine-readiness").run({"opioids": uses(heroin=14), "cows_total": 13})
    assert [e.field for e in exc.value.errors] == ["cows_age_hours"]


# --- Fentanyl is program policy -----------------------------------------------------------------------------


def test_fentanyl_is_not_a_standard_start_by_default_and_both_alternatives_are_named() -> None:
    d = ready(uses(fentanyl=72), cows=20)
    assert d.decision == "not_standard"
    assert "longer wait with a higher COWS, or a low-dose start" in texts(d)


def test_a_longer_wait_profile_uses_the_fentanyl_wait() -> None:
    assert ready(uses(fentanyl=40), p={"fentanyl_profile": "longer_wait"}).decision == "wait"


def test_a_longer_wait_profile_uses_the_higher_fentanyl_cows() -> None:
    assert ready(uses(fentanyl=50), cows=10, p={"fentanyl_profile": "longer_wait"}).decision == "wait"


def test_a_longer_wait_profile_is_ready_once_both_are_met() -> None:
    assert ready(uses(fentanyl=50), cows=12, p={"fentanyl_profile": "longer_wait"}).decision == "ready"


def test_the_fentanyl_wait_is_never_shorter_than_the_short_acting_wait() -> None:
    p = {"fentanyl_profile": "longer_wait", "wait_hours_fentanyl": 24, "wait_hours_short_acting": 36}
    assert ready(uses(fentanyl=30), cows=14, p=p).decision == "wait"


def test_a_low_dose_profile_says_so() -> None:
    d = ready(uses(fentanyl=20), p={"fentanyl_profile": "low_dose"})
    assert d.decision == "low_dose"
    assert "low-dose start" in texts(d)


def test_the_default_profile_is_stricter_than_the_others() -> None:
    assert policy.is_tighter_or_equal(
        "buprenorphine-readiness", "fentanyl_profile", "not_standard", "low_dose"
    )
    assert not policy.is_tighter_or_equal(
        "buprenorphine-readiness", "fentanyl_profile", "longer_wait", "not_standard"
    )


# --- A fresh COWS -------------------------------------------------------------------------------------------


def test_a_cows_scored_before_the_last_use_is_not_used() -> None:
    d = ready(uses(heroin=14), cows=20, age=15)
    assert d.decision == "wait"
    assert d.details["cows"]["status"] == "before_last_use"


def test_a_cows_scored_before_the_second_opioids_use_is_not_used() -> None:
    d = ready(uses(methadone=80, heroin=13), cows=20, age=13.5)
    assert d.details["cows"]["status"] == "before_last_use"
    assert "Heroin, 13 h ago" in texts(d)


def test_a_cows_scored_at_the_moment_of_use_is_not_after_it() -> None:
    assert ready(uses(heroin=14), cows=20, age=14).details["cows"]["status"] == "before_last_use"


def test_a_cows_older_than_the_freshness_window_is_not_used() -> None:
    d = ready(uses(heroin=14), cows=20, age=3)
    assert d.decision == "wait"
    assert "scored 3 h ago; the program uses one for 2 h" in texts(d)


def test_a_cows_at_the_edge_of_the_window_is_used() -> None:
    assert ready(uses(heroin=14), cows=20, age=2).decision == "ready"


def test_the_freshness_window_is_program_policy() -> None:
    assert ready(uses(heroin=14), cows=20, age=3, p={"cows_fresh_hours": 4}).decision == "ready"


def test_the_cows_used_is_described_with_its_age() -> None:
    assert "COWS 13, scored 0.5 h ago, is at or above the start threshold of 8." in texts(
        ready(uses(heroin=14))
    )


# --- The home start ---


def home(
    opioids: list[dict[str, Any]], sows: int = 20, age: float = 0.5, p: dict[str, Any] | None = None
) -> Any:
    raw = {"opioids": opioids, "sows_total": sows, "sows_age_hours": age}
    return rules.get("buprenorphine-home-start").run(raw, p)


def test_a_fresh_sows_after_the_wait_starts_at_home() -> None:
    assert home(uses(heroin=14)).decision == "start"


def test_a_home_start_waits_for_methadone_too() -> None:
    assert home(uses(heroin=14, methadone=48)).decision == "wait"


def test_a_home_start_after_fentanyl_calls_the_clinic() -> None:
    d = home(uses(heroin=14, fentanyl=20))
    assert d.decision == "not_standard"
    assert "call your clinic" in texts(d)


def test_an_old_sows_is_rated_again() -> None:
    assert home(uses(heroin=14), age=1.5).details["sows"]["status"] == "too_old"


def test_a_sows_rated_before_the_last_use_is_rated_again() -> None:
    assert home(uses(heroin=14), age=15).details["sows"]["status"] == "before_last_use"


def test_a_sows_below_the_threshold_waits() -> None:
    assert home(uses(heroin=14), sows=16).decision == "wait"


def test_the_home_start_needs_the_sows_age() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.get("buprenorphine-home-start").run({"opioids": uses(heroin=14), "sows_total": 20})
    assert [e.field for e in exc.value.errors] == ["sows_age_hours"]


# --- XR-naltrexone after methadone or buprenorphine ---------------------------------------------------------


def ntx(p: dict[str, Any] | None = None, challenge: bool = False, **days: float) -> Any:
    raw = {
        "opioids": [{"opioid": o, "days_since_last_use": d} for o, d in days.items()],
        "naloxone_challenge_negative": challenge,
    }
    return rules.get("naltrexone-readiness").run(raw, p)


def test_ten_days_after_heroin_is_eligible_without_a_switching_warning() -> None:
    d = ntx(heroin=10)
    assert d.decision == "eligible"
    assert "Switching" not in texts(d)


def test_ten_days_after_methadone_warns_until_day_14_with_the_label_section() -> None:
    d = ntx(methadone=10)
    assert d.decision == "caution"
    assert "label: Switching from Buprenorphine or Methadone" in texts(d)
    assert "vivitrol-label-switching" in d.sources


def test_the_warning_names_the_naloxone_challenge_and_its_label() -> None:
    d = ntx(buprenorphine=10)
    assert "naloxone challenge" in texts(d)
    assert "naltrexone-oral-label" in d.sources


def test_day_14_after_buprenorphine_is_eligible() -> None:
    assert ntx(buprenorphine=14).decision == "eligible"


def test_day_13_9_after_buprenorphine_still_warns() -> None:
    assert ntx(buprenorphine=13.9).decision == "caution"


def test_the_last_opioid_used_decides_the_interval_and_is_named() -> None:
    d = ntx(methadone=20, heroin=3)
    assert d.decision == "not_eligible"
    assert "(Heroin)" in texts(d)


def test_a_program_may_require_the_naloxone_challenge_before_day_14() -> None:
    assert ntx({"agonist_switch": "challenge"}, methadone=10).decision == "needs_challenge"


def test_a_negative_naloxone_challenge_meets_that_policy() -> None:
    assert ntx({"agonist_switch": "challenge"}, challenge=True, methadone=10).decision == "caution"


def test_a_program_may_wait_the_full_two_weeks() -> None:
    assert ntx({"agonist_switch": "wait"}, methadone=10).decision == "not_eligible"


def test_the_old_single_number_input_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.get("naltrexone-readiness").run({"days_since_last_opioid": 10})
    assert {e.field for e in exc.value.errors} == {"days_since_last_opioid", "opioids"}


# --- NaN, Infinity and non-numbers ---

NOT_NUMBERS = [math.nan, math.inf, -math.inf, "NaN", "12", None, True, [1], {"n": 1}]
NUMERIC_INPUTS = [
    (rule.name, f.name)
    for rule in rules.RULES.values()
    for f in rule.inputs
    if f.kind in ("number", "integer") and f.required
]


@pytest.mark.parametrize(("rule", "field"), NUMERIC_INPUTS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "NaN"])
def test_every_numeric_rule_input_refuses_nan_and_infinity_by_name(rule: str, field: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.get(rule).run({field: value})
    assert field in {e.field for e in exc.value.errors}


@pytest.mark.parametrize(
    ("rule", "raw", "field"),
    [
        ("buprenorphine-readiness", {"opioids": uses(heroin=math.nan)}, "opioids[0].hours_since_last_use"),
        ("buprenorphine-home-start", {"opioids": uses(heroin=math.inf)}, "opioids[0].hours_since_last_use"),
        (
            "naltrexone-readiness",
            {"opioids": [{"opioid": "heroin", "days_since_last_use": math.nan}]},
            "opioids[0].days_since_last_use",
        ),
        (
            "early-warning",
            {"today": "2026-11-25", "checkins": [{"craving": math.nan}]},
            "checkins[0].craving",
        ),
    ],
)
def test_numbers_inside_lists_refuse_nan_by_name(rule: str, raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.get(rule).run(raw)
    assert field in {e.field for e in exc.value.errors}


NUMERIC_POLICY = [
    (rule.name, f.name)
    for rule in rules.RULES.values()
    for f in rule.policy
    if f.kind in ("number", "integer")
]


@pytest.mark.parametrize(("rule", "field"), NUMERIC_POLICY)
@pytest.mark.parametrize("value", NOT_NUMBERS[:5])
def test_every_numeric_policy_value_refuses_nan_infinity_and_text(rule: str, field: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        policy.checked_values(rules.get(rule), {field: value})
    assert [e.field for e in exc.value.errors] == [f"policy.{field}"]


def test_json_nan_literals_arrive_as_text_that_no_number_field_accepts() -> None:
    assert loads_json('{"a": NaN, "b": Infinity, "c": -Infinity}') == {
        "a": "NaN",
        "b": "Infinity",
        "c": "-Infinity",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("0.5", 0.5),
        ("-3", -3),
        (" 8 ", 8),
        ("", None),
        ("nan", "nan"),
        ("inf", "inf"),
        ("1e999", "1e999"),
        ("twelve", "twelve"),
        ("12.0", 12.0),
    ],
)
def test_a_typed_number_is_a_number_or_stays_text(text: str, expected: Any) -> None:
    assert number_from_text(text) == expected


# --- Floors and ceilings: no policy switches a check off ---


@pytest.mark.parametrize(
    ("rule", "field", "value"),
    [
        ("buprenorphine-readiness", "cows_threshold", 0),
        ("buprenorphine-readiness", "cows_threshold", 7),
        ("buprenorphine-readiness", "wait_hours_short_acting", 0),
        ("buprenorphine-readiness", "wait_hours_extended_release", 0),
        ("buprenorphine-readiness", "wait_hours_methadone", 0),
        ("buprenorphine-readiness", "wait_hours_fentanyl", 0),
        ("buprenorphine-readiness", "cows_threshold_fentanyl", 0),
        ("buprenorphine-readiness", "cows_fresh_hours", 0),
        ("buprenorphine-readiness", "cows_fresh_hours", 1000),
        ("buprenorphine-readiness", "lookback_days", 1),
        ("buprenorphine-home-start", "home_sows_threshold", 0),
        ("buprenorphine-home-start", "sows_fresh_hours", 1000),
        ("buprenorphine-home-start", "wait_hours_methadone", 0),
        ("buprenorphine-dose-limit", "day1_max_mg", 1000),
        ("methadone-dose-check", "first_day_total_max_mg", 0),
        ("methadone-dose-check", "titration_step_max_mg", 1000),
        ("methadone-dose-check", "reassess_after_missed_days", 30),
        ("take-home-eligibility", "program_max_days", 29),
        ("naltrexone-readiness", "opioid_free_days", 0),
        ("naltrexone-readiness", "agonist_switch_days", 0),
        ("early-warning", "silent_days", 1000),
    ],
)
def test_no_policy_value_crosses_its_floor_or_ceiling(rule: str, field: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        rules.get(rule).run({}, {field: value})
    assert f"policy.{field}" in {e.field for e in exc.value.errors}


def test_the_refusal_says_where_the_floor_comes_from() -> None:
    with pytest.raises(InvalidInput) as exc:
        policy.checked_values(rules.get("buprenorphine-readiness"), {"cows_threshold": 0})
    assert "must be at least 8 (the safe floor: floor COWS 8" in exc.value.errors[0].reason


def test_the_lookback_always_covers_the_longest_wait_a_policy_allows() -> None:
    waits = ("wait_hours_short_acting", "wait_hours_extended_release", "wait_hours_methadone")
    longest = max(policy.limit_for("buprenorphine-readiness", f).ceiling or 0 for f in waits)  # type: ignore[union-attr]
    lookback = policy.limit_for("buprenorphine-readiness", "lookback_days")
    assert lookback is not None
    assert lookback.floor is not None
    assert lookback.floor * 24 >= longest


def test_a_stored_value_from_before_the_bounds_runs_at_the_nearest_bound() -> None:
    rule = rules.get("buprenorphine-readiness")
    assert policy.within_limits(rule, {"cows_threshold": 0, "wait_hours_methadone": 500}) == {
        "cows_threshold": 8,
        "wait_hours_methadone": 168,
    }


def test_a_stored_value_that_is_not_a_number_is_not_used() -> None:
    assert policy.within_limits(rules.get("buprenorphine-readiness"), {"cows_threshold": "NaN"}) == {}


def test_the_schema_shows_each_policy_values_bounds_and_their_source() -> None:
    prop = rules.get("buprenorphine-readiness").schema()["policy"]["properties"]["cows_threshold"]
    assert (prop["minimum"], prop["maximum"], prop["x-stricter"]) == (8, 24, "higher")
    assert prop["x-bounds"]


# --- Every reason shown on a page can be translated ---------------------------------------------------------


@pytest.mark.parametrize(
    "decision",
    [
        ready(uses(heroin=14, methadone=48, fentanyl=20, buprenorphine=1, rx_long=24 * 9)),
        ready(uses(heroin=14), age=15),
        ready(uses(heroin=14), age=3),
        ready(uses(heroin=14), cows=3),
        ready(uses(heroin=14)),
        ready(uses(fentanyl=30), p={"fentanyl_profile": "low_dose"}),
        home(uses(heroin=14)),
        home(uses(heroin=4)),
        home(uses(fentanyl=4)),
        ntx(methadone=10),
        ntx({"agonist_switch": "challenge"}, methadone=10),
        ntx(heroin=3),
        rules.get("overdose-risk").run({"lost_tolerance": True, "uses_alone": True}),
        rules.get("overdose-risk").run({"has_naloxone": True}),
    ],
)
def test_every_reason_keeps_its_template_and_parameters(decision: Any) -> None:
    for reason in decision.reasons:
        assert reason.template, reason.text
        shown = {k: v if isinstance(v, str) else f"{v:g}" for k, v in reason.params}
        assert reason.template % shown == reason.text
