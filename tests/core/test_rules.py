"""Clinical rules against the clinical reference's test vectors 37-47 and their edges."""

from __future__ import annotations

from typing import Any

import pytest

from keel.core import rules
from keel.core.rules.inputs import InvalidInput


def run(name: str, policy: dict[str, Any] | None = None, **given: Any) -> Any:
    return rules.get(name).run(given, policy)


# --- Buprenorphine readiness (vectors 37-39; every opioid and the fresh COWS: tests/core/test_start_rules.py)


def bup(opioid: str = "heroin", hours: float = 14, cows: int = 13, policy: Any = None) -> Any:
    """Readiness with one opioid and a COWS scored half an hour ago."""
    given = {"opioids": [{"opioid": opioid, "hours_since_last_use": hours}], "cows_total": cows}
    return rules.get("buprenorphine-readiness").run({**given, "cows_age_hours": 0.5}, policy)


def test_vector_37_heroin_14h_cows_7_waits_and_rescoress() -> None:
    d = bup(cows=7)
    assert d.decision == "wait"
    assert any("1-2 hours" in r.text for r in d.reasons)


def test_vector_38_heroin_14h_cows_13_is_ready_with_first_dose() -> None:
    d = bup(cows=13)
    assert d.decision == "ready"
    assert any("2-4 mg" in r.text and "1-2 h" in r.text for r in d.reasons)
    assert d.policy["cows_threshold"] == 8
    assert d.policy["wait_hours_short_acting"] == 12
    assert d.sources  # every decision names its sources


def test_vector_39_heroin_8h_is_too_early_under_the_default_profile() -> None:
    d = bup(hours=8)
    assert d.decision == "wait"
    assert any("is not met" in r.text for r in d.reasons)
    assert bup(hours=8, policy={"wait_hours_short_acting": 6}).decision == "ready"  # a label-only profile


@pytest.mark.parametrize(
    ("opioid", "hours", "cows", "decision"),
    [
        ("heroin", 12, 8, "ready"),  # exactly at the wait and exactly at the threshold
        ("heroin", 11.9, 8, "wait"),
        ("heroin", 11.99, 8, "wait"),  # never rounded up into a met wait
        ("heroin", 12, 7, "wait"),
        ("rx_short", 12, 8, "ready"),
        ("rx_long", 23.5, 20, "wait"),
        ("rx_long", 24, 8, "ready"),
        ("methadone", 71, 20, "wait"),
        ("methadone", 72, 8, "ready"),
        ("fentanyl", 72, 20, "not_standard"),
        ("buprenorphine", 1, 8, "ready"),  # no wait before more buprenorphine
    ],
)
def test_buprenorphine_readiness_edges(opioid: str, hours: float, cows: int, decision: str) -> None:
    assert bup(opioid, hours, cows).decision == decision


def test_a_stricter_cows_threshold_tightens_the_outcome() -> None:
    assert bup(hours=20, cows=10).decision == "ready"
    assert bup(hours=20, cows=10, policy={"cows_threshold": 13}).decision == "wait"


def test_methadone_and_fentanyl_carry_the_precipitated_withdrawal_warning() -> None:
    assert any("precipitated withdrawal" in r.text for r in bup("methadone", 80, 14).reasons)
    assert any("low-dose start" in r.text for r in bup("fentanyl", 30, 14).reasons)


# --- Buprenorphine dose limits (vectors 40-42) ---


@pytest.mark.parametrize(
    ("phase", "given", "requested", "decision"),
    [
        ("day1", 8, 4, "needs_override"),  # 40: 12 mg > 8 mg
        ("day1", 4, 4, "allowed"),  # exactly 8
        ("day2", 0, 20, "needs_override"),  # 41
        ("day2", 0, 16, "allowed"),  # 41: exactly 16
        ("maintenance", 0, 28, "allowed"),  # 42: no ceiling
        ("maintenance", 24, 8, "allowed"),
    ],
)
def test_buprenorphine_dose_limits(phase: str, given: float, requested: float, decision: str) -> None:
    d = run("buprenorphine-dose-limit", phase=phase, given_today_mg=given, requested_mg=requested)
    assert d.decision == decision


def test_maintenance_has_no_24_mg_warning_and_no_16_mg_target() -> None:
    d = run("buprenorphine-dose-limit", phase="maintenance", given_today_mg=0, requested_mg=28)
    assert "no maximum" in d.reasons[0].text
    assert d.sources == ("fda-89fr105613",)


def test_a_pcss_profile_allows_12_mg_on_day_one() -> None:
    d = run("buprenorphine-dose-limit", {"day1_max_mg": 12}, phase="day1", given_today_mg=8, requested_mg=4)
    assert d.decision == "allowed"


# --- Methadone dose check (vector 45, 46) ---


def test_vector_45_first_day_60_mg_needs_a_documented_reason() -> None:
    blocked = run("methadone-dose-check", treatment_day=1, given_today_mg=30, requested_mg=30)
    assert blocked.decision == "needs_override"
    allowed = run(
        "methadone-dose-check", treatment_day=1, given_today_mg=30, requested_mg=30, documented_rationale=True
    )
    assert allowed.decision == "allowed_with_rationale"
    assert "logged" in allowed.reasons[0].text


@pytest.mark.parametrize(
    ("given", "requested", "decision"),
    # correction 6 (third pass): the label's 40 mg first-day total is the default, 30 mg the first single dose
    [(30, 10, "allowed"), (30, 11, "needs_override"), (0, 30, "allowed"), (0, 30.5, "needs_override")],
)
def test_the_first_day_cap_is_on_the_cumulative_total(given: float, requested: float, decision: str) -> None:
    assert (
        run("methadone-dose-check", treatment_day=1, given_today_mg=given, requested_mg=requested).decision
        == decision
    )


@pytest.mark.parametrize(("previous", "today", "decision"), [(60, 70, "allowed"), (60, 75, "needs_override")])
def test_increases_beyond_the_titration_step_need_an_override(
    previous: float, today: float, decision: str
) -> None:
    d = run(
        "methadone-dose-check",
        treatment_day=10,
        given_today_mg=0,
        requested_mg=today,
        previous_day_mg=previous,
    )
    assert d.decision == decision


def test_sedation_holds_the_dose_and_routes_to_a_prescriber() -> None:
    d = run(
        "methadone-dose-check",
        treatment_day=30,
        given_today_mg=0,
        requested_mg=80,
        sedated_or_intoxicated=True,
        documented_rationale=True,
    )
    assert d.decision == "hold"
    assert "prescriber" in d.reasons[0].text


def test_vector_46_going_above_100_mg_prompts_an_ecg() -> None:
    d = run("methadone-dose-check", treatment_day=60, given_today_mg=0, requested_mg=110, previous_day_mg=100)
    assert any("extra ECG" in r.text for r in d.reasons)


# --- Take-homes (vectors 43, 44) ---

ALL_CRITERIA = {
    k: True
    for k in (
        "no_active_risky_use",
        "regular_attendance",
        "no_serious_behavior_problems",
        "no_known_recent_diversion",
        "safe_transport_and_storage",
        "other_factors_considered",
    )
}


@pytest.mark.parametrize(
    ("day", "supply"), [(0, 7), (10, 7), (14, 7), (15, 14), (20, 14), (30, 14), (31, 28), (400, 28)]
)
def test_vectors_43_44_take_home_supply_by_days_in_treatment(day: int, supply: int) -> None:
    d = run("take-home-eligibility", days_in_treatment=day, **ALL_CRITERIA)
    assert d.decision == "eligible"
    assert d.details["max_supply_days"] == supply


def test_a_stricter_state_or_program_rule_wins_and_never_loosens() -> None:
    state = run("take-home-eligibility", days_in_treatment=400, state_max_days=14, **ALL_CRITERIA)
    assert state.details["max_supply_days"] == 14
    program = run(
        "take-home-eligibility",
        {"program_max_days": 6},
        days_in_treatment=400,
        state_max_days=14,
        **ALL_CRITERIA,
    )
    assert program.details["max_supply_days"] == 6
    looser = run("take-home-eligibility", days_in_treatment=10, state_max_days=28, **ALL_CRITERIA)
    assert looser.details["max_supply_days"] == 7


def test_any_criterion_not_documented_means_not_eligible() -> None:
    d = run(
        "take-home-eligibility",
        days_in_treatment=100,
        **(ALL_CRITERIA | {"no_known_recent_diversion": False}),
    )
    assert d.decision == "not_eligible"
    assert d.details["max_supply_days"] == 0
    assert "diversion" in d.reasons[-1].text


@pytest.mark.parametrize(("numbering", "supply"), [(0, 7), (1, 14)])
def test_day_numbering_is_program_policy(numbering: int, supply: int) -> None:
    d = run(
        "take-home-eligibility",
        {"admission_day_number": numbering},
        admitted_on="2026-11-01",
        today="2026-11-15",
        **ALL_CRITERIA,
    )  # 14 days after admission: day 14 or day 15
    assert d.details["max_supply_days"] == supply


def test_the_schedule_lists_one_bottle_per_day() -> None:
    d = run("take-home-eligibility", days_in_treatment=20, start_on="2026-12-01", **ALL_CRITERIA)
    assert d.details["bottles"][0] == "2026-12-01"
    assert d.details["bottles"][-1] == "2026-12-14"


# --- QTc (vector 46), naltrexone (47), overdose risk ---


@pytest.mark.parametrize(
    ("qtc", "decision"),
    [
        (440, "routine"),
        (450, "routine"),
        (451, "450_to_500"),
        (460, "450_to_500"),
        (499, "450_to_500"),
        (500, "above_500"),
        (510, "above_500"),
    ],
)
def test_qtc_bands(qtc: int, decision: str) -> None:
    assert run("qtc-monitoring", qtc_ms=qtc).decision == decision


def test_qtc_prompts_an_extra_ecg_above_100_mg() -> None:
    assert any("extra ECG" in r.text for r in run("qtc-monitoring", qtc_ms=430, daily_dose_mg=110).reasons)
    assert not any(
        "extra ECG" in r.text for r in run("qtc-monitoring", qtc_ms=430, daily_dose_mg=100).reasons
    )


def ntx(days: float, opioid: str = "heroin", policy: dict[str, Any] | None = None, **given: Any) -> Any:
    uses = [{"opioid": opioid, "days_since_last_use": days}]
    return rules.get("naltrexone-readiness").run({"opioids": uses, **given}, policy)


@pytest.mark.parametrize(
    ("days", "decision"), [(5, "not_eligible"), (6.9, "not_eligible"), (7, "eligible"), (10, "eligible")]
)
def test_vector_47_naltrexone_needs_7_opioid_free_days(days: float, decision: str) -> None:
    assert ntx(days).decision == decision


def test_naltrexone_next_injection_is_28_days_later_and_challenge_is_suggested() -> None:
    d = ntx(10, history_uncertain=True, last_injection_on="2026-11-01")
    assert d.details["next_due_on"] == "2026-11-29"
    assert any("naloxone challenge" in r.text for r in d.reasons)


def test_the_naltrexone_wait_may_be_lengthened_but_not_shortened() -> None:
    assert ntx(8, policy={"opioid_free_days": 10}).decision == "not_eligible"
    with pytest.raises(InvalidInput):
        ntx(8, policy={"opioid_free_days": 5})


def test_overdose_risk_lists_factors_and_offers_naloxone() -> None:
    d = run("overdose-risk", lost_tolerance=True, uses_alone=True)
    assert d.decision == "offer_naloxone"
    assert d.details["factors_present"] == 2
    assert run("overdose-risk", has_naloxone=True).decision == "naloxone_on_hand"


# --- Input checking and schemas ---


def test_bad_input_names_every_field() -> None:
    with pytest.raises(InvalidInput) as error:
        rules.get("buprenorphine-readiness").run(
            {"opioids": [{"opioid": "tea", "hours_since_last_use": 1}], "cows_total": 49, "extra": 1}
        )
    fields = {e.field for e in error.value.errors}
    assert fields == {"opioids[0].opioid", "cows_total", "cows_age_hours", "extra"}


def test_bad_policy_values_are_named_with_their_prefix() -> None:
    with pytest.raises(InvalidInput) as error:
        bup(policy={"cows_threshold": "high"})
    assert error.value.errors[0].field == "policy.cows_threshold"


@pytest.mark.parametrize("name", sorted(rules.RULES))
def test_every_rule_has_a_schema_a_version_and_policy_provenance(name: str) -> None:
    rule = rules.get(name)
    schema = rule.schema()
    assert schema["version"]
    assert schema["input"]["type"] == "object"
    assert all(f.help for f in rule.policy), "every policy value states its provenance"


def test_an_unknown_rule_lists_the_known_ones() -> None:
    with pytest.raises(rules.UnknownRule) as error:
        rules.get("nope")
    assert "take-home-eligibility" in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("7", 7),
        (" 42 ", 42),
        ("", None),
        ("abc", None),
        ("1.5", None),
        ("0", None),
        ("-3", None),
        (None, None),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("99999999999999999999999", None),
    ],
)
def test_record_id_names_a_row_or_nothing(value: object, expected: int | None) -> None:
    from keel.core.rules.inputs import record_id

    assert record_id(value) == expected
