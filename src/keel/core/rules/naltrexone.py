"""Extended-release naltrexone (Vivitrol label, reference section 11) [V]: opioid-free for at least 7-10 days
before the first dose (policy default 7 days); consider a naloxone challenge when recent use is uncertain; 380 mg
every 4 weeks (next due 28 days after the last); risk of overdose from lost tolerance at the end of a dosing
interval or after stopping (label warning 5.1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from keel.core.decision import Decision, Reason
from keel.core.rules.base import Rule
from keel.core.rules.inputs import Field

INTERVAL_DAYS = 28

INPUTS = (
    Field("days_since_last_opioid", "number", minimum=0, maximum=100000, help="opioid-free days so far"),
    Field(
        "history_uncertain", "bool", required=False, default=False, help="recent opioid use is not certain"
    ),
    Field("last_injection_on", "date", required=False, help="date of the last injection, if any"),
)
POLICY = (
    Field(
        "opioid_free_days",
        "integer",
        required=False,
        default=7,
        minimum=7,
        maximum=30,
        help="program policy, default 7 days (label: 7-10 days; may only be made longer)",
    ),
)


def _readiness(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    days, need = v["days_since_last_opioid"], p["opioid_free_days"]
    reasons: list[Reason] = []
    if days >= need:
        decision = "eligible"
        reasons.append(
            Reason(
                f"Opioid-free for {days:g} days (at least {need} needed): eligible for the first injection.",
                ("vivitrol-label",),
            )
        )
        if v["history_uncertain"]:
            reasons.append(
                Reason("Recent use is uncertain: consider a naloxone challenge first.", ("vivitrol-label",))
            )
    else:
        decision = "not_eligible"
        reasons.append(
            Reason(
                f"Opioid-free for {days:g} days; at least {need} are needed to avoid severe "
                "precipitated withdrawal.",
                ("vivitrol-label",),
            )
        )
    details: dict[str, Any] = {}
    if v["last_injection_on"] is not None:
        due = v["last_injection_on"] + timedelta(days=INTERVAL_DAYS)
        details["next_due_on"] = due.isoformat()
        reasons.append(
            Reason(
                f"Next injection due {due.isoformat()} (every 4 weeks). Near the end of an interval, or "
                "after stopping, tolerance is lower: the overdose risk is higher.",
                ("vivitrol-label",),
            )
        )
    return Decision("naltrexone-readiness", "1", decision, tuple(reasons), dict(p), details)


READINESS = Rule(
    "naltrexone-readiness", "1", "Can extended-release naltrexone be started?", INPUTS, POLICY, _readiness
)
