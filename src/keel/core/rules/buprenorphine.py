"""Buprenorphine start: readiness (time since last opioid + COWS) and day-1/day-2 dose limits.

Sources (Keel clinical reference sections 9 and Corrections 1): waits of >= 12 h after short-acting opioids,
>= 24 h after extended-release, >= 72 h after methadone [S: ASAM/TIP summaries]; COWS >= 8 to start [S];
first dose 2-4 mg, re-score 1-2 h after [S; PCSS-MAT form for the re-score timing]; day-1 8 mg and day-2
16 mg label figures [S]; no maintenance ceiling or target (FDA notice 89 FR 105613, Dec 2024) [V].
Illicit fentanyl has no consensus wait: never a standard start here; the clinician decides.
All numbers are program policy with these defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keel.core.decision import Decision, Reason
from keel.core.rules.base import Rule
from keel.core.rules.inputs import Field

OPIOIDS = ("heroin", "short_acting_rx", "extended_release_rx", "methadone", "fentanyl")
_LABEL = {
    "heroin": "heroin",
    "short_acting_rx": "a short-acting prescription opioid",
    "extended_release_rx": "an extended-release opioid",
    "methadone": "methadone",
    "fentanyl": "illicit fentanyl",
}

READINESS_INPUTS = (
    Field("last_opioid", "choice", choices=OPIOIDS, help="the opioid last used"),
    Field("hours_since_last_use", "number", minimum=0, maximum=24 * 60, help="hours since it was last used"),
    Field("cows_total", "integer", minimum=0, maximum=48, help="the current COWS total"),
    Field("pregnant", "bool", required=False, default=False),
)
READINESS_POLICY = (
    Field(
        "wait_hours_short_acting",
        "number",
        required=False,
        default=12,
        minimum=0,
        help="program policy, default 12 h from ASAM/TIP summaries (reference 9.1, secondary)",
    ),
    Field(
        "wait_hours_extended_release",
        "number",
        required=False,
        default=24,
        minimum=0,
        help="program policy, default 24 h (reference 9.1, secondary)",
    ),
    Field(
        "wait_hours_methadone",
        "number",
        required=False,
        default=72,
        minimum=0,
        help="program policy, default 72 h (reference 9.1, secondary)",
    ),
    Field(
        "cows_threshold",
        "integer",
        required=False,
        default=8,
        minimum=0,
        maximum=48,
        help="program policy, default COWS 8 from ASAM summaries (reference 9.2, secondary); 12-13 is a stricter option",
    ),
)


def _readiness(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    opioid, hours, cows = v["last_opioid"], v["hours_since_last_use"], v["cows_total"]
    reasons: list[Reason] = []
    policy = dict(p)
    if v["pregnant"]:
        reasons.append(
            Reason(
                "Pregnant: follow the program's pregnancy protocol and involve prenatal care.",
                ("keel-policy",),
            )
        )
    if opioid == "fentanyl":
        reasons.insert(
            0,
            Reason(
                "Illicit fentanyl: higher risk of precipitated withdrawal even after waiting; there is no agreed wait. "
                "Consider waiting longer or a low-dose start, as the prescriber decides.",
                ("reference-9.1-fentanyl",),
            ),
        )
        return Decision("buprenorphine-readiness", "1", "not_standard", tuple(reasons), policy)
    wait = {
        "heroin": p["wait_hours_short_acting"],
        "short_acting_rx": p["wait_hours_short_acting"],
        "extended_release_rx": p["wait_hours_extended_release"],
        "methadone": p["wait_hours_methadone"],
    }[opioid]
    timing_met = hours >= wait
    cows_met = cows >= p["cows_threshold"]
    reasons.append(
        Reason(
            f"{_LABEL[opioid].capitalize()} {hours:g} h ago: the wait of {wait:g} h is "
            f"{'met' if timing_met else 'not met yet'}.",
            ("asam-2020-summary", "tip63-summary"),
        )
    )
    reasons.append(
        Reason(
            f"COWS {cows} is {'at or above' if cows_met else 'below'} the start threshold of {p['cows_threshold']}.",
            ("asam-2020-summary", "wesson-ling-2003"),
        )
    )
    if opioid == "methadone":
        reasons.append(
            Reason(
                "Recent methadone raises the risk of precipitated withdrawal (more so above 30 mg/day); "
                "consider waiting longer or a low-dose start.",
                ("reference-9.6",),
            )
        )
    if timing_met and cows_met:
        reasons.append(
            Reason(
                "Ready: give a first dose of 2-4 mg and re-score COWS 1-2 h after it.",
                ("fda-bup-label-summary", "pcss-cows-form"),
            )
        )
        return Decision("buprenorphine-readiness", "1", "ready", tuple(reasons), policy)
    if not timing_met:
        left = wait - hours
        reasons.append(
            Reason(
                f"Wait about {left:g} more hours, then score COWS again. Starting too early can cause "
                "sudden, severe (precipitated) withdrawal.",
                ("reference-9.6",),
            )
        )
    else:
        reasons.append(Reason("Wait and score COWS again in 1-2 hours.", ("asam-2020-summary",)))
    return Decision("buprenorphine-readiness", "1", "wait", tuple(reasons), policy)


READINESS = Rule(
    "buprenorphine-readiness",
    "1",
    "Is it time for a standard buprenorphine start?",
    READINESS_INPUTS,
    READINESS_POLICY,
    _readiness,
)

DOSE_INPUTS = (
    Field(
        "phase",
        "choice",
        choices=("day1", "day2", "maintenance"),
        help="day 1 or 2 of the start, or maintenance",
    ),
    Field("given_today_mg", "number", minimum=0, maximum=100, help="buprenorphine already given today (mg)"),
    Field("requested_mg", "number", minimum=0.1, maximum=100, help="the dose to give now (mg)"),
    Field("sedated_or_intoxicated", "bool", required=False, default=False),
    Field(
        "documented_rationale",
        "bool",
        required=False,
        default=False,
        help="a prescriber documented a clinical reason to exceed the day's limit",
    ),
)
DOSE_POLICY = (
    Field(
        "day1_max_mg",
        "number",
        required=False,
        default=8,
        minimum=0,
        help="program policy, default 8 mg from older label figures (reference Correction 1 and 9.3, secondary); "
        "many protocols allow 12-16 mg",
    ),
    Field(
        "day2_max_mg",
        "number",
        required=False,
        default=16,
        minimum=0,
        help="program policy, default 16 mg (reference 9.3, secondary)",
    ),
)


def _dose_limit(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    total = v["given_today_mg"] + v["requested_mg"]
    if v["sedated_or_intoxicated"]:
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            "hold",
            (
                Reason(
                    "Sedated or intoxicated now: hold the dose and ask a prescriber to assess before any dose.",
                    ("tip63-summary", "reference-13"),
                ),
            ),
            dict(p),
        )
    if v["phase"] == "maintenance":
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            "allowed",
            (
                Reason(
                    f"Maintenance: {total:g} mg today. The labels set no maximum daily dose; doses are titrated to the "
                    "person (no warning at 24 mg, no 16 mg target).",
                    ("fda-89fr105613",),
                ),
            ),
            dict(p),
        )
    limit = p["day1_max_mg"] if v["phase"] == "day1" else p["day2_max_mg"]
    day = "Day 1" if v["phase"] == "day1" else "Day 2"
    if total <= limit:
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            "allowed",
            (
                Reason(
                    f"{day} total would be {total:g} mg, within the {limit:g} mg limit (program policy).",
                    ("fda-bup-label-summary",),
                ),
            ),
            dict(p),
        )
    if v["documented_rationale"]:
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            "allowed_with_rationale",
            (
                Reason(
                    f"{day} total would be {total:g} mg, above the {limit:g} mg limit (program policy); allowed "
                    "because a prescriber documented a reason (logged).",
                    ("fda-bup-label-summary", "pcss-summary"),
                ),
            ),
            dict(p),
        )
    return Decision(
        "buprenorphine-dose-limit",
        "1",
        "needs_override",
        (
            Reason(
                f"{day} total would be {total:g} mg, above the {limit:g} mg limit (program policy). A prescriber may "
                "override with a written reason.",
                ("fda-bup-label-summary", "pcss-summary"),
            ),
        ),
        dict(p),
    )


DOSE_LIMIT = Rule(
    "buprenorphine-dose-limit",
    "1",
    "Does this buprenorphine dose stay within the day's limit?",
    DOSE_INPUTS,
    DOSE_POLICY,
    _dose_limit,
)


HOME_INPUTS = (Field("sows_total", "integer", minimum=0, maximum=64, help="the person's latest SOWS total"),)
HOME_POLICY = (
    Field(
        "home_sows_threshold",
        "integer",
        required=False,
        default=17,
        minimum=0,
        maximum=64,
        help="program policy, default SOWS 17 from a published patient protocol (reference Correction 5, "
        "secondary; no SOWS bands are shown)",
    ),
    Field(
        "redose_interval_hours",
        "number",
        required=False,
        default=2,
        minimum=1,
        maximum=24,
        help="program policy, default 2 h: the conservative end of 're-dose about every 1-2 h' (reference 9.3, "
        "secondary)",
    ),
)


def _home_start(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    name, threshold = "buprenorphine-home-start", p["home_sows_threshold"]
    if v["sows_total"] >= threshold:
        reason = Reason(
            f"SOWS {v['sows_total']} is at or above {threshold}: withdrawal is clear enough for the first dose at "
            f"home. If withdrawal continues, another dose after {p['redose_interval_hours']:g} h, within the "
            "day's limit.",
            ("reference-correction-5", "tip63-summary"),
        )
        return Decision(name, "1", "start", (reason,), dict(p))
    reason = Reason(
        f"SOWS {v['sows_total']} is below {threshold}: wait, and rate again in about an hour. Starting too early "
        "can cause sudden, severe (precipitated) withdrawal.",
        ("reference-correction-5", "reference-9.6"),
    )
    return Decision(name, "1", "wait", (reason,), dict(p))


HOME_START = Rule(
    "buprenorphine-home-start",
    "1",
    "May the person take the first buprenorphine dose at home now (from their SOWS)?",
    HOME_INPUTS,
    HOME_POLICY,
    _home_start,
)


def parse_schedule(raw: Any) -> list[dict[str, Any]]:
    """A clinician-entered low-dose ("micro") start: [{"day": 1, "mg": 0.5}, ...], days 1-60 in order, once each,
    0.01-32 mg. Keel ships no table (reference 9.5: any day-by-day table is unverified)."""
    from keel.core.rules.inputs import FieldError, InvalidInput

    if raw in (None, "", []):
        return []
    if not isinstance(raw, list):
        raise InvalidInput([FieldError("schedule", "must be a list of {day, mg}")])
    errors, out, last = [], [], 0
    for i, step in enumerate(raw):
        day = step.get("day") if isinstance(step, Mapping) else None
        mg = step.get("mg") if isinstance(step, Mapping) else None
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 60 or day <= last:
            errors.append(FieldError(f"schedule[{i}].day", "days 1 to 60, each once, in order"))
            continue
        if isinstance(mg, bool) or not isinstance(mg, int | float) or not 0.01 <= mg <= 32:
            errors.append(FieldError(f"schedule[{i}].mg", "between 0.01 and 32 mg"))
            continue
        last = day
        out.append({"day": day, "mg": float(mg)})
    if errors:
        raise InvalidInput(errors)
    return out
