"""Intake: the substance-use history in structured fields, the risk profile, and what other rules need from
it (the time of last use of each opioid, for buprenorphine and XR-naltrexone readiness; overdose-risk factors,
reference section 13). A last use cannot be in the future.

No Django, no clock: callers pass `now`. Codes, not words (the app translates them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypedDict, cast

from keel.core.opioids import OPIOIDS
from keel.core.rules.inputs import Field, FieldError, InvalidInput, parse
from keel.core.words import gettext_noop as N_

__all__ = ["OPIOIDS", "last_use_times", "overdose_inputs", "parse_intake", "parse_last_use"]

# No last use is older than this: a time before it is a typing slip (year 1 at +14:00 is a valid ISO time that
# no time zone can show: Django's localtime raised OverflowError on every page that showed it, review 13b).
OLDEST_LAST_USE = timedelta(days=36525)  # 100 years
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


class OpioidUse(TypedDict):
    """One opioid on an intake: its code, the routes it was used by, the ISO time of its last use (or "")."""

    opioid: str
    routes: list[str]
    last_use_at: str


class IntakeValues(TypedDict):
    """An intake as checked (`parse_intake`): each of `FIELDS` (choices as lists) and the opioids used."""

    other_substances: list[str]
    prior_overdoses: int
    prior_treatment: list[str]
    pregnant: str
    uses_alone: bool
    recent_lost_tolerance: bool
    serious_mental_illness: bool
    breathing_or_clearance_illness: bool
    has_naloxone: bool
    family_history: bool
    trauma: bool
    mental_health: bool
    peer_environment: bool
    note: str
    opioids: list[OpioidUse]


def parse_last_use(raw: object, now: datetime) -> tuple[str, str]:
    """An ISO date-time of a last use with its zone, not after `now`: (ISO text or "", problem or "")."""
    if raw in (None, ""):
        return "", ""
    if not isinstance(raw, str) or len(raw) > 40:
        return "", N_("must be a date and time like 2026-11-25T06:30")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return "", N_("must be a date and time like 2026-11-25T06:30")
    if when.tzinfo is None:
        return "", N_("needs a time zone (the page adds it)")
    if now - when > OLDEST_LAST_USE:  # year 1 passed here and broke every later page showing it in a zone
        return "", N_("must be a date and time like 2026-11-25T06:30")
    if when > now:
        return "", N_("cannot be in the future")
    return when.isoformat(), ""


def parse_intake(raw: Mapping[str, object], now: datetime) -> IntakeValues:
    """Checked intake values; `opioids` is a list of {opioid, routes, last_use_at}, each last use not after
    `now`. Every bad field named."""
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("intake", N_("must be an object"))])
    errors: list[FieldError] = []
    rest = {k: v for k, v in raw.items() if k != "opioids"}
    try:
        values = parse(FIELDS, rest)
    except InvalidInput as exc:
        errors += exc.errors
        values = {}
    opioids: list[OpioidUse] = []
    raw_opioids = raw.get("opioids") or []
    if not isinstance(raw_opioids, list):
        errors.append(FieldError("opioids", N_("must be a list")))
        raw_opioids = []
    seen = set()
    for i, item in enumerate(raw_opioids):
        try:
            o = parse(OPIOID, item, prefix=f"opioids[{i}].")
        except InvalidInput as exc:
            errors += exc.errors
            continue
        if o["opioid"] in seen:
            errors.append(FieldError(f"opioids[{i}].opioid", N_("listed twice")))
            continue
        seen.add(o["opioid"])
        last_use_at, problem = parse_last_use(o["last_use_at"], now)
        if problem:
            errors.append(FieldError(f"opioids[{i}].last_use_at", problem))
            continue
        opioids.append(OpioidUse(opioid=o["opioid"], routes=list(o["routes"]), last_use_at=last_use_at))
    if errors:
        raise InvalidInput(errors)
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    values["opioids"] = opioids
    return cast("IntakeValues", values)  # the keys of FIELDS, each checked by `parse`, and the opioids


def _opioid_rows(intake: Mapping[str, object]) -> list[Mapping[str, object]]:
    """The opioids of an intake as stored (old or new JSON): each entry that is an object."""
    rows = intake.get("opioids", [])
    return [o for o in rows if isinstance(o, Mapping)] if isinstance(rows, list) else []


def _codes(value: object) -> set[str]:
    """The codes of a stored list of choices (none when it is no list)."""
    return {v for v in value if isinstance(v, str)} if isinstance(value, list | tuple) else set()


def last_use_times(intake: Mapping[str, object]) -> dict[str, datetime | None]:
    """Each opioid on an intake (old or new) -> the time of its last use, or None when the intake has none."""
    out: dict[str, datetime | None] = {}
    for o in _opioid_rows(intake):
        opioid = o.get("opioid")
        if not isinstance(opioid, str) or opioid not in OPIOIDS:
            continue
        when = o.get("last_use_at")
        out[opioid] = datetime.fromisoformat(when) if isinstance(when, str) and when else None
    return out


def overdose_inputs(intake: Mapping[str, object], *, has_kit: bool) -> dict[str, bool]:
    """The overdose-risk rule's inputs (reference section 13) from an intake."""
    opioids = {o.get("opioid") for o in _opioid_rows(intake)}
    routes = {r for o in _opioid_rows(intake) for r in _codes(o.get("routes", []))}
    other = _codes(intake.get("other_substances", []))
    prior = intake.get("prior_overdoses", 0)
    return {
        "lost_tolerance": bool(intake.get("recent_lost_tolerance")),
        "prior_overdose": isinstance(prior, int) and prior > 0,
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
