"""Program policy: which way is "tighter" for each policy value, and the checks that keep policies honest.

The clinical reference's preface: a number that is not fully verified and changes a dose, a start or an
eligibility is a program policy setting, changed only by a program admin (audited), overridable for one patient
by a prescriber with a written reason (audited). A policy may tighten a federal limit, never loosen one: those
limits are the fields' own bounds (e.g. the 50 mg first-day total, the 28-day take-home ceiling, the 7-day
opioid-free minimum), which no setting or override can cross.

A caller of a rule (the API) may ask for a stricter value than the stored policy for one evaluation; never a
looser one ("no silent bypass").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keel.core.rules.base import Rule
from keel.core.rules.inputs import FieldError, InvalidInput, parse

# (rule, field) -> "lower" if a lower value is stricter, "higher" if a higher one is.
TIGHTER: dict[tuple[str, str], str] = {
    ("buprenorphine-readiness", "wait_hours_short_acting"): "higher",
    ("buprenorphine-readiness", "wait_hours_extended_release"): "higher",
    ("buprenorphine-readiness", "wait_hours_methadone"): "higher",
    ("buprenorphine-readiness", "cows_threshold"): "higher",
    ("buprenorphine-home-start", "home_sows_threshold"): "higher",
    ("buprenorphine-home-start", "redose_interval_hours"): "higher",
    ("buprenorphine-dose-limit", "day1_max_mg"): "lower",
    ("buprenorphine-dose-limit", "day2_max_mg"): "lower",
    ("methadone-dose-check", "first_day_total_max_mg"): "lower",
    ("methadone-dose-check", "titration_step_max_mg"): "lower",
    ("methadone-dose-check", "reassess_after_missed_days"): "lower",
    ("take-home-eligibility", "admission_day_number"): "lower",
    ("take-home-eligibility", "program_max_days"): "lower",
    ("naltrexone-readiness", "opioid_free_days"): "higher",
}


def is_tighter_or_equal(rule: str, field: str, candidate: Any, current: Any) -> bool:
    """Whether `candidate` is at least as strict as `current` (None = no program limit, the loosest)."""
    direction = TIGHTER.get((rule, field))
    if direction is None:
        return bool(candidate == current)
    if current is None:
        return True
    if candidate is None:
        return False
    return bool(candidate <= current) if direction == "lower" else bool(candidate >= current)


def defaults(rule: Rule) -> dict[str, Any]:
    return {f.name: f.default for f in rule.policy}


def checked_values(rule: Rule, values: Mapping[str, Any]) -> dict[str, Any]:
    """Parse stored or proposed values against the rule's policy fields (bounds included)."""
    return {k: v for k, v in parse(rule.policy, values, prefix="policy.").items() if k in values}


def tighten_only(rule: Rule, base: Mapping[str, Any], requested: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with the caller's `requested` values, each of which must be at least as strict. Raises
    InvalidInput naming each value that would loosen the policy."""
    values = checked_values(rule, requested)
    errors = [
        FieldError(
            f"policy.{k}", f"would loosen the program policy ({base.get(k)!r}); only stricter values allowed"
        )
        for k, v in values.items()
        if not is_tighter_or_equal(rule.name, k, v, base.get(k))
    ]
    if errors:
        raise InvalidInput(errors)
    return {**base, **values}
