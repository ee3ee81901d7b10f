"""Methadone at the OTP: dose guard rails and take-home eligibility (42 CFR 8.12, 2024 rule).

Sources (Keel clinical reference section 10 and Corrections 2, 3): cumulative day-one total <= 50 mg unless
the OTP practitioner documents a reason (safe reading of the 2024 rule; program policy) [conflicting -> safe
default]; titration step: program policy (commonly 5-10 mg, UNVERIFIED: default 10 mg); hold when sedated or
intoxicated (routes to a prescriber); extra ECG above 100 mg/day (Krantz 2009) [V]. Take-homes: up to 7 days
in days 0-14, 14 from day 15, 28 from day 31 [V: 2024 final rule summaries]; the six criteria documented;
state or program rules may only tighten.

The package, one module a subdomain (moving code only, issue #17):
- `dose_inputs`: the dose check's inputs (DOSE_INPUTS, DoseInput);
- `dose_policy`: the dose check's program policy and its defaults' sources (DOSE_POLICY, DosePolicy);
- `overrides`: a limit gone over is blocked, or passes on a prescriber's documented reason (`_Limits`);
- `induction`: the first day's limits, a new induction after missed days (`first_day_limits`, `reinduction_day`);
- `missed_doses`: the reassessment and the half dose after missed days;
- `titration`: the titration step, the days between increases (from `titration_from_day`: the episode's first
  dose or a new induction's), the window's rise, the extra ECG;
- `dose_check`: the rule methadone-dose-check (DOSE_CHECK), its checks in order;
- `take_home_inputs`: the federal ladder, the six criteria, the take-home inputs and policy;
- `take_home`: the rule take-home-eligibility (TAKE_HOME) and the first bottle's day;
- `supplies`: take-home supplies beyond the ladder (a closure day, a bottle schedule; issue #13).
"""

from __future__ import annotations

from keel.core.rules.methadone.dose_check import DOSE_CHECK
from keel.core.rules.methadone.dose_inputs import DOSE_INPUTS, DoseInput
from keel.core.rules.methadone.dose_policy import DOSE_POLICY, DosePolicy
from keel.core.rules.methadone.induction import (
    FIRST_DAY,
    NO_COMPARISON,
    REINDUCTION,
    counted_total_mg,
    first_day_limits,
    first_day_over,
    reinduction_day,
)
from keel.core.rules.methadone.supplies import CLOSURE_DAY, bottle_schedule_problems, closure_day_supply
from keel.core.rules.methadone.take_home import TAKE_HOME, check_first_bottle_day
from keel.core.rules.methadone.take_home_inputs import (
    CRITERIA,
    DAYS_IN_TREATMENT_MAX,
    FEDERAL_LADDER,
    FEDERAL_MAX,
    FIRST_BOTTLE_WITHIN_DAYS,
    LAST_FIRST_BOTTLE,
    TAKE_HOME_INPUTS,
    TAKE_HOME_POLICY,
    Criterion,
    TakeHomeDetails,
    TakeHomeInput,
    TakeHomePolicy,
    federal_max_supply,
)
from keel.core.rules.methadone.titration import comparison_days, titration_from_day

__all__ = [
    "CLOSURE_DAY",
    "CRITERIA",
    "DAYS_IN_TREATMENT_MAX",
    "DOSE_CHECK",
    "DOSE_INPUTS",
    "DOSE_POLICY",
    "FEDERAL_LADDER",
    "FEDERAL_MAX",
    "FIRST_BOTTLE_WITHIN_DAYS",
    "FIRST_DAY",
    "LAST_FIRST_BOTTLE",
    "NO_COMPARISON",
    "REINDUCTION",
    "TAKE_HOME",
    "TAKE_HOME_INPUTS",
    "TAKE_HOME_POLICY",
    "Criterion",
    "DoseInput",
    "DosePolicy",
    "TakeHomeDetails",
    "TakeHomeInput",
    "TakeHomePolicy",
    "bottle_schedule_problems",
    "check_first_bottle_day",
    "closure_day_supply",
    "comparison_days",
    "counted_total_mg",
    "federal_max_supply",
    "first_day_limits",
    "first_day_over",
    "reinduction_day",
    "titration_from_day",
]
