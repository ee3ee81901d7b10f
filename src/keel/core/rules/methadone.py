"""Methadone at the OTP: dose guard rails and take-home eligibility (42 CFR 8.12, 2024 rule).

Sources (Keel clinical reference section 10 and Corrections 2, 3): cumulative day-one total <= 50 mg unless
the OTP practitioner documents a reason (safe reading of the 2024 rule; program policy) [conflicting -> safe
default]; titration step: program policy (commonly 5-10 mg, UNVERIFIED: default 10 mg); hold when sedated or
intoxicated (routes to a prescriber); extra ECG above 100 mg/day (Krantz 2009) [V]. Take-homes: up to 7 days
in days 0-14, 14 from day 15, 28 from day 31 [V: 2024 final rule summaries]; the six criteria documented;
state or program rules may only tighten.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from keel.core.decision import Decision, Reason
from keel.core.rules.base import Rule
from keel.core.rules.inputs import Field, FieldError, InvalidInput
from keel.core.rules.qtc import EXTRA_ECG_ABOVE_MG

DOSE_INPUTS = (
    Field("treatment_day", "integer", minimum=1, maximum=100000, help="1 on the first day of dosing"),
    Field("given_today_mg", "number", minimum=0, maximum=1000, help="methadone already given today (mg)"),
    Field("requested_mg", "number", minimum=0.1, maximum=1000, help="the dose to give now (mg)"),
    Field(
        "previous_day_mg",
        "number",
        required=False,
        minimum=0,
        maximum=1000,
        help="yesterday's total (mg), to check the titration step",
    ),
    Field("sedated_or_intoxicated", "bool", required=False, default=False),
    Field(
        "missed_days_in_a_row",
        "integer",
        required=False,
        default=0,
        minimum=0,
        maximum=1000,
        help="days in a row with no dose before today (no dose given and no take-home)",
    ),
    Field(
        "documented_rationale",
        "bool",
        required=False,
        default=False,
        help="a prescriber documented a clinical reason to exceed a limit",
    ),
)
DOSE_POLICY = (
    Field(
        "first_day_total_max_mg",
        "number",
        required=False,
        default=50,
        minimum=0,
        maximum=50,
        help="program policy, default and federal ceiling 50 mg cumulative day-one total (reference "
        "Correction 2); a higher total needs a documented reason for that patient, never a looser policy",
    ),
    Field(
        "titration_step_max_mg",
        "number",
        required=False,
        default=10,
        minimum=0,
        help="program policy, default 10 mg (reference 10.1: commonly 5-10 mg, UNVERIFIED)",
    ),
    Field(
        "reassess_after_missed_days",
        "integer",
        required=False,
        default=3,
        minimum=1,
        maximum=14,
        help="program policy: reassess before dosing after this many missed days in a row (Keel default 3; "
        "no figure in the reference, TIP 63 not retrieved: set by your program)",
    ),
)


def _dose_check(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    name, policy = "methadone-dose-check", dict(p)
    total = v["given_today_mg"] + v["requested_mg"]
    if v["sedated_or_intoxicated"]:
        return Decision(
            name,
            "1",
            "hold",
            (
                Reason(
                    "Sedated or intoxicated now: hold the dose and ask a prescriber to assess before any dose.",
                    ("tip63-summary", "reference-13"),
                ),
            ),
            policy,
        )
    reasons: list[Reason] = []
    decision = "allowed"
    if v["missed_days_in_a_row"] >= p["reassess_after_missed_days"] and v["treatment_day"] > 1:
        if v["documented_rationale"]:
            reasons.append(
                Reason(
                    f"{v['missed_days_in_a_row']} missed days in a row; a prescriber reassessed and documented "
                    "the dose (logged).",
                    ("keel-policy", "reference-13"),
                )
            )
            decision = "allowed_with_rationale"
        else:
            return Decision(
                name,
                "1",
                "needs_reassessment",
                (
                    Reason(
                        f"{v['missed_days_in_a_row']} missed days in a row (program reassesses after "
                        f"{p['reassess_after_missed_days']}): tolerance may be lower. A prescriber must reassess "
                        "before the usual dose.",
                        ("keel-policy", "reference-13"),
                    ),
                ),
                policy,
            )
    if v["treatment_day"] == 1 and total > p["first_day_total_max_mg"]:
        if v["documented_rationale"]:
            reasons.append(
                Reason(
                    f"First-day total {total:g} mg is above {p['first_day_total_max_mg']:g} mg; allowed "
                    "because a clinical reason is documented (logged).",
                    ("42cfr8.12-2024",),
                )
            )
            decision = "allowed_with_rationale"
        else:
            reasons.append(
                Reason(
                    f"First-day total would be {total:g} mg, above the {p['first_day_total_max_mg']:g} mg "
                    "day-one limit. A prescriber must document a clinical reason.",
                    ("42cfr8.12-2024",),
                )
            )
            decision = "needs_override"
    elif v["previous_day_mg"] is not None and v["treatment_day"] > 1:
        step = total - v["previous_day_mg"]
        if step > p["titration_step_max_mg"]:
            if v["documented_rationale"]:
                reasons.append(
                    Reason(
                        f"An increase of {step:g} mg over yesterday is above the {p['titration_step_max_mg']:g} "
                        "mg step; allowed because a reason is documented (logged).",
                        ("tip63-summary",),
                    )
                )
                decision = "allowed_with_rationale"
            else:
                reasons.append(
                    Reason(
                        f"An increase of {step:g} mg over yesterday is above the program's "
                        f"{p['titration_step_max_mg']:g} mg titration step: needs a prescriber override "
                        "with a reason.",
                        ("tip63-summary",),
                    )
                )
                decision = "needs_override"
    if not reasons:
        reasons.append(
            Reason(f"Today's total would be {total:g} mg: within the program's limits.", ("42cfr8.12-2024",))
        )
    if total > EXTRA_ECG_ABOVE_MG and (
        v["previous_day_mg"] is None or v["previous_day_mg"] <= EXTRA_ECG_ABOVE_MG
    ):
        reasons.append(
            Reason(f"The daily dose goes above {EXTRA_ECG_ABOVE_MG} mg: get an extra ECG.", ("krantz-2009",))
        )
    return Decision(name, "1", decision, tuple(reasons), policy)


DOSE_CHECK = Rule(
    "methadone-dose-check",
    "1",
    "May this methadone dose be given now?",
    DOSE_INPUTS,
    DOSE_POLICY,
    _dose_check,
)

FEDERAL_LADDER = ((14, 7), (30, 14))  # days in treatment up to N -> max supply; after day 30: 28
FEDERAL_MAX = 28
CRITERIA = (
    (
        "no_active_risky_use",
        "no active substance use or condition that raises overdose risk or impairs safe functioning",
    ),
    ("regular_attendance", "regular attendance for supervised dosing"),
    ("no_serious_behavior_problems", "no serious behavioural problems that endanger the person or others"),
    ("no_known_recent_diversion", "no known recent diversion"),
    ("safe_transport_and_storage", "take-homes can be transported and stored safely"),
    ("other_factors_considered", "other factors the practitioner judges relevant were weighed"),
)
TAKE_HOME_INPUTS = (
    Field(
        "days_in_treatment",
        "integer",
        required=False,
        minimum=0,
        maximum=100000,
        help="days since admission (give this, or admitted_on and today)",
    ),
    Field("admitted_on", "date", required=False),
    Field("today", "date", required=False),
    *(Field(key, "bool", help=text) for key, text in CRITERIA),
    Field("state_max_days", "integer", required=False, minimum=0, maximum=28, help="a stricter state limit"),
    Field("start_on", "date", required=False, help="first take-home date, to list the bottles"),
)
TAKE_HOME_POLICY = (
    Field(
        "admission_day_number",
        "integer",
        required=False,
        default=0,
        minimum=0,
        maximum=1,
        help="program policy: is the admission day day 0 or day 1 (reference conflict 5)",
    ),
    Field(
        "program_max_days",
        "integer",
        required=False,
        minimum=0,
        maximum=28,
        help="a program limit; may only tighten the federal one",
    ),
)


def federal_max_supply(days_in_treatment: int) -> int:
    for up_to, supply in FEDERAL_LADDER:
        if days_in_treatment <= up_to:
            return supply
    return FEDERAL_MAX


def _take_home(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    name, policy = "take-home-eligibility", dict(p)
    days = v["days_in_treatment"]
    if days is None:
        if v["admitted_on"] is None or v["today"] is None:
            raise InvalidInput(
                [FieldError("days_in_treatment", "give days_in_treatment, or admitted_on and today")]
            )
        days = (v["today"] - v["admitted_on"]).days + p["admission_day_number"]
        if days < 0:
            raise InvalidInput([FieldError("today", "is before admitted_on")])
    federal = federal_max_supply(days)
    reasons = [
        Reason(
            f"Day {days} in treatment: the federal rule allows up to {federal} days of take-home doses.",
            ("42cfr8.12-2024",),
        )
    ]
    missing = [text for key, text in CRITERIA if not v[key]]
    if missing:
        reasons.append(
            Reason("Not eligible now; not yet documented: " + "; ".join(missing) + ".", ("42cfr8.12-2024",))
        )
        return Decision(name, "1", "not_eligible", tuple(reasons), policy, {"max_supply_days": 0})
    limit = federal
    for label, value in (("state", v["state_max_days"]), ("program", p["program_max_days"])):
        if value is not None and value < limit:
            limit = value
            reasons.append(
                Reason(f"The {label} limit of {value} days is stricter and applies.", (f"{label}-rule",))
            )
    reasons.append(
        Reason(
            f"All six criteria are documented: up to {limit} days of take-home doses.", ("42cfr8.12-2024",)
        )
    )
    details: dict[str, Any] = {"max_supply_days": limit}
    if v["start_on"] is not None and limit:
        details["bottles"] = [(v["start_on"] + timedelta(days=i)).isoformat() for i in range(limit)]
    return Decision(name, "1", "eligible" if limit else "not_eligible", tuple(reasons), policy, details)


TAKE_HOME = Rule(
    "take-home-eligibility",
    "1",
    "How many days of take-home methadone may be given?",
    TAKE_HOME_INPUTS,
    TAKE_HOME_POLICY,
    _take_home,
)
