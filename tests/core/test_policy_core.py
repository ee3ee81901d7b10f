"""Program policy in the core: which way is stricter, bounds no policy crosses, and tighten-only requests."""

from __future__ import annotations

import pytest

from keel.core import rules
from keel.core.rules import policy
from keel.core.rules.inputs import InvalidInput


def test_every_policy_value_of_a_program_rule_has_a_direction() -> None:
    for name in (
        "buprenorphine-readiness",
        "buprenorphine-dose-limit",
        "methadone-dose-check",
        "take-home-eligibility",
        "naltrexone-readiness",
    ):
        for f in rules.get(name).policy:
            assert (name, f.name) in policy.TIGHTER, (name, f.name)


@pytest.mark.parametrize(
    ("rule", "field", "candidate", "current", "ok"),
    [
        ("buprenorphine-readiness", "cows_threshold", 12, 8, True),
        ("buprenorphine-readiness", "cows_threshold", 7, 8, False),
        ("buprenorphine-readiness", "cows_threshold", 8, 8, True),
        ("methadone-dose-check", "first_day_total_max_mg", 40, 50, True),
        ("methadone-dose-check", "first_day_total_max_mg", 60, 50, False),
        ("take-home-eligibility", "program_max_days", 14, None, True),  # None: no program limit yet
        ("take-home-eligibility", "program_max_days", None, 14, False),
        ("naltrexone-readiness", "opioid_free_days", 10, 7, True),
        ("naltrexone-readiness", "opioid_free_days", 7, 10, False),
    ],
)
def test_stricter_is_the_right_way(
    rule: str, field: str, candidate: object, current: object, ok: bool
) -> None:
    assert policy.is_tighter_or_equal(rule, field, candidate, current) is ok


def test_a_request_may_only_tighten() -> None:
    rule = rules.get("methadone-dose-check")
    base = {**policy.defaults(rule), "titration_step_max_mg": 5}
    assert policy.tighten_only(rule, base, {"titration_step_max_mg": 4})["titration_step_max_mg"] == 4
    with pytest.raises(InvalidInput) as exc:
        policy.tighten_only(rule, base, {"titration_step_max_mg": 10, "first_day_total_max_mg": 45})
    assert [e.field for e in exc.value.errors] == ["policy.titration_step_max_mg"]


def test_the_federal_first_day_ceiling_is_a_bound_no_policy_crosses() -> None:
    rule = rules.get("methadone-dose-check")
    with pytest.raises(InvalidInput) as exc:
        policy.checked_values(rule, {"first_day_total_max_mg": 51})
    assert "at most 50" in exc.value.errors[0].reason


def _dose(**kw: object) -> str:
    base = {"treatment_day": 9, "given_today_mg": 0, "requested_mg": 60, "previous_day_mg": 60}
    return rules.get("methadone-dose-check").run({**base, **kw}).decision


@pytest.mark.parametrize(
    ("missed", "expected"),
    [(0, "allowed"), (2, "allowed"), (3, "needs_reassessment"), (7, "needs_reassessment")],
)
def test_missed_days_in_a_row_need_a_reassessment_at_the_policy_count(missed: int, expected: str) -> None:
    assert _dose(missed_days_in_a_row=missed) == expected


def test_a_documented_reassessment_allows_the_dose_and_sedation_still_holds() -> None:
    assert _dose(missed_days_in_a_row=4, documented_rationale=True) == "allowed_with_rationale"
    assert _dose(missed_days_in_a_row=4, sedated_or_intoxicated=True) == "hold"
    assert (
        rules.get("methadone-dose-check")
        .run(
            {
                "treatment_day": 9,
                "given_today_mg": 0,
                "requested_mg": 60,
                "previous_day_mg": 60,
                "missed_days_in_a_row": 2,
            },
            {"reassess_after_missed_days": 2},
        )
        .decision
        == "needs_reassessment"
    )
