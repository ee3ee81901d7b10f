"""The rule buprenorphine-readiness: is it time for a standard start in the clinic (every opioid used, a
fresh COWS)?"""

from __future__ import annotations

from typing import TypedDict

from keel.core.decision import Decision, Reason
from keel.core.rules.base import Rule
from keel.core.rules.buprenorphine.timing import (
    TIMING_POLICY,
    ScoreDetails,
    TimingPolicy,
    TimingRow,
    _left,
    _score_reason,
    _timing,
    _verdict,
)
from keel.core.rules.buprenorphine.uses import OpioidUse, _parse_with_uses, _schema_with_uses
from keel.core.rules.buprenorphine.verdicts import READY
from keel.core.rules.inputs import Field
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

READINESS_INPUTS = (
    Field("cows_total", "integer", minimum=0, maximum=48, help="the COWS total"),
    Field(
        "cows_age_hours",
        "number",
        minimum=0,
        maximum=24 * 365,
        help="hours since that COWS was scored (it must be after the last use and fresh)",
    ),
    Field("pregnant", "bool", required=False, default=False),
)


READINESS_POLICY = (
    *TIMING_POLICY,
    Field(
        "cows_threshold",
        "integer",
        required=False,
        default=8,
        help=N_(
            "program policy, default COWS 8 from ASAM summaries (reference 9.2, secondary); 12-13 is a "
            "stricter option"
        ),
    ),
    Field(
        "cows_threshold_fentanyl",
        "integer",
        required=False,
        default=12,
        help=N_(
            "program policy for the longer_wait fentanyl profile, default COWS 12: the stricter option "
            "clinicians treating fentanyl use prefer (reference 9.2, secondary); never lower than the COWS threshold"
        ),
    ),
    Field(
        "cows_fresh_hours",
        "number",
        required=False,
        default=2,
        help=N_(
            "program policy, default 2 h: a COWS older than this is scored again (reference 9.2: re-score "
            "every 1-2 h, secondary)"
        ),
    ),
    Field(
        "last_use_report_hours",
        "number",
        required=False,
        default=24,
        help=N_(
            "program policy, default 24 h (Keel): the times of last use must have been asked within this "
            "time; an older intake is asked again"
        ),
    ),
)


class ReadinessInput(TypedDict):
    """READINESS_INPUTS as the rule's parser checks them, with every opioid used (`parse_uses`)."""

    opioids: list[OpioidUse]
    cows_total: int
    cows_age_hours: float
    pregnant: bool


class ReadinessPolicy(TimingPolicy):
    """READINESS_POLICY's values (the waits' with them)."""

    cows_threshold: int
    cows_threshold_fentanyl: int
    cows_fresh_hours: float
    last_use_report_hours: float


class ReadinessDetails(TypedDict):
    """A readiness decision's other outputs: each opioid against its wait, the COWS, the hours left to wait."""

    opioids: list[TimingRow]
    cows: ScoreDetails
    hours_left: float


def _readiness(v: ReadinessInput, p: ReadinessPolicy) -> Decision[ReadinessPolicy, ReadinessDetails]:
    uses = v["opioids"]
    policy = p.copy()
    rows, reasons = _timing(uses, p)
    counted = {r["opioid"] for r in rows if r["status"] != "outside_lookback"}
    threshold = p["cows_threshold"]
    if "fentanyl" in counted and p["fentanyl_profile"] == "longer_wait":
        threshold = max(threshold, p["cows_threshold_fentanyl"])
    status, score = _score_reason(
        "COWS", v["cows_total"], v["cows_age_hours"], uses, p["cows_fresh_hours"], threshold
    )
    reasons.append(score)
    if v["pregnant"]:
        reasons.append(
            Reason.said(
                gettext_noop("Pregnant: follow the program's pregnancy protocol and involve prenatal care."),
                ("keel-policy",),
            )
        )
    decision = _verdict(rows, status)
    left = max((r.get("hours_left", 0) for r in rows), default=0)
    reasons += _what_next(decision, left, status)
    details: ReadinessDetails = {
        "opioids": rows,
        "cows": {
            "total": v["cows_total"],
            "age_hours": _left(v["cows_age_hours"]),
            "threshold": threshold,
            "status": status,
        },
        "hours_left": left,
    }
    return Decision("buprenorphine-readiness", "2", decision, tuple(reasons), policy, details)


def _what_next(decision: str, left: float, status: str) -> list[Reason]:
    """What the clinician does next: the first dose when ready; else wait the hours left, or score COWS again
    when it is below the threshold."""
    if decision == READY:
        return [
            Reason.said(
                gettext_noop("Ready: give a first dose of 2-4 mg and score COWS again 1-2 h after it."),
                ("fda-bup-label-summary", "pcss-cows-form"),
            )
        ]
    if decision == "wait" and left > 0:
        return [
            Reason.said(
                gettext_noop(
                    "Wait about %(left)s more hours, then score COWS again. Starting too early can cause "
                    "sudden, severe (precipitated) withdrawal."
                ),
                ("reference-9.6",),
                left=left,
            )
        ]
    if decision == "wait" and status == "below":
        return [Reason.said(gettext_noop("Wait and score COWS again in 1-2 hours."), ("asam-2020-summary",))]
    return []


READINESS: Rule[ReadinessInput, ReadinessPolicy, ReadinessDetails] = Rule(
    "buprenorphine-readiness",
    "2",
    "Is it time for a standard buprenorphine start? (every opioid used, a fresh COWS)",
    READINESS_INPUTS,
    READINESS_POLICY,
    _readiness,
    parse_input=_parse_with_uses(READINESS_INPUTS),
    input_schema=_schema_with_uses(READINESS_INPUTS),
)
