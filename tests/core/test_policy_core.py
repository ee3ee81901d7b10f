"""Program policy in the core: which way is stricter, bounds no policy crosses, and tighten-only requests."""

from __future__ import annotations

import pytest

from keel.core import rules
from keel.core.rules import policy
from keel.core.rules.inputs import InvalidInput


@pytest.mark.parametrize("name", sorted(rules.RULES))
def test_every_policy_value_of_every_rule_has_a_floor_a_ceiling_a_direction_and_a_source(name: str) -> None:
    for f in rules.get(name).policy:
        limit = policy.limit_for(name, f.name)
        assert limit is not None, f"{name}.{f.name} has no Limit in keel.core.rules.policy.LIMITS"
        assert limit.why, f"{name}.{f.name}: say where the bounds come from"
        if f.kind == "choice":
            assert limit.stricter == "order", (name, f.name)
            assert set(limit.order) == set(f.choices), (name, f.name)
        else:
            assert limit.stricter in ("higher", "lower"), (name, f.name)
            assert limit.floor is not None, (name, f.name)
            assert limit.ceiling is not None, (name, f.name)
            assert limit.floor <= limit.ceiling, (name, f.name)


@pytest.mark.parametrize("name", sorted(rules.RULES))
def test_every_default_lies_inside_its_bounds(name: str) -> None:
    rule = rules.get(name)
    defaults = {k: v for k, v in policy.defaults(rule).items() if v is not None}
    assert policy.checked_values(rule, defaults) == defaults  # raises naming a default outside its bounds


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
    base = {**policy.defaults(rule), "titration_step_max_mg": 8}
    assert policy.tighten_only(rule, base, {"titration_step_max_mg": 5})["titration_step_max_mg"] == 5
    with pytest.raises(InvalidInput) as exc:
        policy.tighten_only(rule, base, {"titration_step_max_mg": 10, "first_day_total_max_mg": 35})
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
