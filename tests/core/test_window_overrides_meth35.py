"""Lane meth35, the rules in keel.core: methadone's titration counts from `titration_from_day` (the
episode's first dose or the latest new induction after missed days), and each window rule lifts the re-dose
interval only on `redose_override` (an early re-dose override), never on `documented_rationale` (a limit
override)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from keel.core.rules.buprenorphine.dose_limit import DOSE_LIMIT
from keel.core.rules.inputs import InvalidInput
from keel.core.rules.methadone import DOSE_CHECK, titration_from_day

# --- The rule (keel.core) -----------------------------------------------------------------------------------


def _rule(**raw: Any) -> Any:
    base = {"treatment_day": 20, "given_today_mg": 0, "requested_mg": 40, "last_observed_mg": 30}
    return DOSE_CHECK.run({**base, **raw})


def test_the_rule_holds_a_raise_a_day_after_its_titration_start() -> None:
    assert _rule(titration_from_day=19).decision == "needs_override"


def test_the_rule_allows_a_raise_the_wait_after_its_titration_start() -> None:
    assert _rule(titration_from_day=17).decision == "allowed"


def test_an_increase_on_the_titration_start_is_no_increase_of_it() -> None:
    assert _rule(titration_from_day=19, days_since_last_increase=1).decision == "needs_override"


def test_an_increase_after_the_titration_start_counts_as_before() -> None:
    assert _rule(titration_from_day=10, days_since_last_increase=3).decision == "allowed"


def test_a_titration_start_after_today_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as exc:
        _rule(titration_from_day=21)
    assert exc.value.errors[0].field == "titration_from_day"


def test_without_a_titration_start_the_episodes_first_dose_counts() -> None:
    assert _rule().decision == "allowed"


def test_a_new_induction_is_the_treatment_day_of_its_first_dose() -> None:
    first = date.fromordinal(740_000)  # any day: the count is calendar days
    assert titration_from_day(first, first + timedelta(days=11)) == 12


def test_no_new_induction_counts_from_the_first_dose() -> None:
    assert titration_from_day(date.fromordinal(740_000), None) == 1


# --- The rules (keel.core): each reads its own override -----------------------------------------------------


def _methadone(**raw: Any) -> str:
    base = {"treatment_day": 20, "given_today_mg": 15, "requested_mg": 15, "last_observed_mg": 30}
    return DOSE_CHECK.run({**base, "hours_since_last_dose": 0.1, **raw}).decision


def _buprenorphine(**raw: Any) -> str:
    base = {"phase": "maintenance", "given_today_mg": 4, "requested_mg": 4}
    return DOSE_LIMIT.run({**base, "hours_since_last_dose": 0.1, **raw}).decision


def test_methadone_a_documented_limit_reason_does_not_lift_the_interval() -> None:
    assert _methadone(documented_rationale=True) == "needs_override"


def test_methadone_an_early_re_dose_override_lifts_the_interval() -> None:
    assert _methadone(redose_override=True) == "allowed_with_rationale"


def test_buprenorphine_a_documented_limit_reason_does_not_lift_the_interval() -> None:
    assert _buprenorphine(documented_rationale=True) == "needs_override"


def test_buprenorphine_an_early_re_dose_override_lifts_the_interval() -> None:
    assert _buprenorphine(redose_override=True) == "allowed_with_rationale"


def test_an_early_re_dose_override_lifts_no_ceiling() -> None:
    assert _methadone(requested_mg=160, redose_override=True) == "needs_override"
