"""Intake: the substance-use history in structured fields, the risk profile, and what other rules need from
it (the last opioid and when, for buprenorphine readiness; overdose-risk factors, reference section 13).

No Django, no clock: callers pass `now`. Codes, not words (the app translates them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from keel.core.rules.inputs import Field, FieldError, InvalidInput, parse

OPIOIDS = ("heroin", "fentanyl", "rx_short", "rx_long", "methadone", "buprenorphine")
ROUTES = ("inject", "smoke", "snort", "oral")
OTHER = ("benzodiazepines", "alcohol", "stimulants")
PRIOR_TREATMENT = (
    "methadone",
    "buprenorphine",
    "naltrexone",
    "counseling",
    "residential",
    "withdrawal_management",
)
PREGNANCY = ("no", "yes", "unknown", "not_applicable")
RISKS = ("family_history", "trauma", "mental_health", "peer_environment")
# What buprenorphine readiness calls each opioid (reference 9.1); buprenorphine itself needs no wait.
READINESS_OPIOID = {
    "heroin": "heroin",
    "fentanyl": "fentanyl",
    "rx_short": "short_acting_rx",
    "rx_long": "extended_release_rx",
    "methadone": "methadone",
}

FIELDS = (
    Field("other_substances", "choices", required=False, default=(), choices=OTHER),
    Field("prior_overdoses", "integer", required=False, default=0, minimum=0, maximum=100),
    Field("prior_treatment", "choices", required=False, default=(), choices=PRIOR_TREATMENT),
    Field("pregnant", "choice", choices=PREGNANCY),
    Field("uses_alone", "bool", required=False, default=False),
    Field(
        "recent_lost_tolerance",
        "bool",
        required=False,
        default=False,
        help="detox, jail, hospital or treatment ended",
    ),
    Field("serious_mental_illness", "bool", required=False, default=False),
    Field("breathing_or_clearance_illness", "bool", required=False, default=False),
    Field("has_naloxone", "bool", required=False, default=False),
    *(Field(r, "bool", required=False, default=False) for r in RISKS),
    Field("note", "text", required=False, default="", maximum=2000),
)
OPIOID = (
    Field("opioid", "choice", choices=OPIOIDS),
    Field("routes", "choices", required=False, default=(), choices=ROUTES),
    Field(
        "last_use_at", "text", required=False, default="", maximum=40, help="ISO date-time of the last use"
    ),
)


def parse_intake(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checked intake values; `opioids` is a list of {opioid, routes, last_use_at}. Every bad field named."""
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("intake", "must be an object")])
    errors: list[FieldError] = []
    rest = {k: v for k, v in raw.items() if k != "opioids"}
    try:
        values = parse(FIELDS, rest)
    except InvalidInput as exc:
        errors += exc.errors
        values = {}
    opioids: list[dict[str, Any]] = []
    raw_opioids = raw.get("opioids") or []
    if not isinstance(raw_opioids, list):
        errors.append(FieldError("opioids", "must be a list"))
        raw_opioids = []
    seen = set()
    for i, item in enumerate(raw_opioids):
        try:
            o = parse(OPIOID, item, prefix=f"opioids[{i}].")
        except InvalidInput as exc:
            errors += exc.errors
            continue
        if o["opioid"] in seen:
            errors.append(FieldError(f"opioids[{i}].opioid", "listed twice"))
            continue
        seen.add(o["opioid"])
        if o["last_use_at"]:
            try:
                when = datetime.fromisoformat(o["last_use_at"])
            except ValueError:
                errors.append(
                    FieldError(f"opioids[{i}].last_use_at", "must be a date and time like 2026-11-25T06:30")
                )
                continue
            if when.tzinfo is None:
                errors.append(FieldError(f"opioids[{i}].last_use_at", "needs a time zone (the page adds it)"))
                continue
            o["last_use_at"] = when.isoformat()
        o["routes"] = list(o["routes"])
        opioids.append(o)
    if errors:
        raise InvalidInput(errors)
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    values["opioids"] = opioids
    return values


def last_opioid(intake: Mapping[str, Any], now: datetime) -> tuple[str, float] | None:
    """(readiness opioid code, hours since use) of the most recently used full agonist, if a time is known.
    When two were used at the same time, the one with the longer wait counts (methadone, long-acting, ...)."""
    order = ("methadone", "rx_long", "fentanyl", "heroin", "rx_short")
    known = [
        (datetime.fromisoformat(o["last_use_at"]), order.index(o["opioid"]), o["opioid"])
        for o in intake.get("opioids", [])
        if o.get("last_use_at") and o["opioid"] in order
    ]
    if not known:
        return None
    when, _, code = max(known, key=lambda k: (k[0], -k[1]))
    return READINESS_OPIOID[code], max(0.0, (now - when).total_seconds() / 3600)


def days_since_any_opioid(intake: Mapping[str, Any], now: datetime) -> float | None:
    times = [
        datetime.fromisoformat(o["last_use_at"]) for o in intake.get("opioids", []) if o.get("last_use_at")
    ]
    return None if not times else max(0.0, (now - max(times)).total_seconds() / 86400)


def overdose_inputs(intake: Mapping[str, Any], *, has_kit: bool) -> dict[str, bool]:
    """The overdose-risk rule's inputs (reference section 13) from an intake."""
    opioids = {o["opioid"] for o in intake.get("opioids", [])}
    routes = {r for o in intake.get("opioids", []) for r in o.get("routes", [])}
    other = set(intake.get("other_substances", []))
    return {
        "lost_tolerance": bool(intake.get("recent_lost_tolerance")),
        "prior_overdose": int(intake.get("prior_overdoses", 0)) > 0,
        "uses_sedatives": bool(other & {"benzodiazepines", "alcohol"}),
        "uses_stimulants": "stimulants" in other,
        "fentanyl_or_unknown_supply": bool(opioids & {"fentanyl", "heroin"}),
        "uses_alone": bool(intake.get("uses_alone")),
        "injects": "inject" in routes,
        "serious_mental_illness": bool(intake.get("serious_mental_illness")),
        "breathing_or_clearance_illness": bool(intake.get("breathing_or_clearance_illness")),
        "high_dose_prescribed_opioids": False,
        "methadone_start_or_left_treatment": False,
        "has_naloxone": bool(intake.get("has_naloxone")) or has_kit,
    }
