"""Buprenorphine start: readiness (time since last use of every opioid, and a fresh COWS), the home start
(the same waits, and a fresh SOWS) and day-1/day-2 dose limits.

Sources (Keel clinical reference sections 9, Corrections 1, 5 and 11): waits of >= 12 h after short-acting
opioids, >= 24 h after extended-release, >= 72 h after methadone [S: ASAM/TIP summaries]; COWS >= 8 to start,
re-scored every 1-2 h [S]; first dose 2-4 mg, re-score 1-2 h after [S; PCSS-MAT form]; day-1 8 mg and day-2
16 mg label figures [S]; no maintenance ceiling or target (FDA notice 89 FR 105613, Dec 2024) [V]. Illicit
fentanyl has no agreed wait (correction 11): by default not a standard start, with a longer wait and a
low-dose start named as the alternatives; the program may choose either as its fentanyl profile.
All numbers are program policy with these defaults, inside the bounds of `keel.core.rules.policy.LIMITS`.

Every opioid counts: the input lists each opioid used with the hours since its last use; each one used within
the lookback is checked against its own wait, and the strictest verdict wins. The COWS must be scored after
the last use of any opioid and be fresh (program policy).

Readiness verdicts (`Decision.decision`): READY ("ready") is the only value that allows a standard first dose;
"wait" (a wait not met, or the COWS below the threshold, stale or scored before the last use), "not_standard"
(illicit fentanyl under the default profile: the prescriber chooses a longer wait or a low-dose start) and
"low_dose" (illicit fentanyl under a low-dose profile) do not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from keel.core.decision import Decision, Reason
from keel.core.opioids import NAME, OPIOIDS, WAIT_FIELD
from keel.core.rules.base import Rule
from keel.core.rules.inputs import Field, FieldError, InvalidInput, parse
from keel.core.rules.window import (
    HOLD_OPEN,
    ORDERED_FIELD_HELP,
    REDOSE_FIELD_HELP,
    REFUSED,
    ceilings,
    hold_open_reasons,
    order_over,
    redose,
)
from keel.core.words import gettext_noop

READY = "ready"  # the one readiness verdict that allows a standard first dose
NOT_READY = ("wait", "not_standard", "low_dose")
HOME_READY = "start"  # the one home-start verdict that says: take the first dose now
NOT_READY_TO_DOSE = "not_ready"  # the dose limit's verdict on a first standard dose before "ready"

USE_FIELDS = (
    Field("opioid", "choice", choices=OPIOIDS, help="the opioid"),
    Field(
        "hours_since_last_use", "number", minimum=0, maximum=24 * 365 * 10, help="hours since its last use"
    ),
)
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
_OPIOIDS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "description": "every opioid used, each once, with the hours since its last use",
    "items": {
        "type": "object",
        "properties": {f.name: f.schema() for f in USE_FIELDS},
        "required": [f.name for f in USE_FIELDS],
        "additionalProperties": False,
    },
}
_REPLACED = {
    "last_opioid": "replaced by opioids: a list of {opioid, hours_since_last_use}, one per opioid used",
    "hours_since_last_use": "give it for each opioid in opioids",
}


def parse_uses(raw: Any, name: str = "opioids") -> list[dict[str, Any]]:
    """Every opioid used, each once, with the hours since its last use. Raises InvalidInput naming each bad
    entry."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput([FieldError(name, "list each opioid used, with the hours since its last use")])
    errors: list[FieldError] = []
    uses: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        try:
            use = parse(USE_FIELDS, item, prefix=f"{name}[{i}].")
        except InvalidInput as exc:
            errors += exc.errors
            continue
        if use["opioid"] in seen:
            errors.append(FieldError(f"{name}[{i}].opioid", "listed twice: give each opioid once"))
            continue
        seen.add(use["opioid"])
        uses.append(use)
    if errors:
        raise InvalidInput(errors)
    return uses


def _parse_with_uses(fields: tuple[Field, ...]) -> Any:
    def parse_input(raw: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise InvalidInput([FieldError("input", "must be a JSON object")])
        errors = [FieldError(k, why) for k, why in _REPLACED.items() if k in raw]
        rest = {k: v for k, v in raw.items() if k not in _REPLACED and k != "opioids"}
        values: dict[str, Any] = {}
        try:
            values = parse(fields, rest)
        except InvalidInput as exc:
            errors += exc.errors
        try:
            values["opioids"] = parse_uses(raw.get("opioids"))
        except InvalidInput as exc:
            errors += exc.errors
        if errors:
            raise InvalidInput(errors)
        return values

    return parse_input


def _schema_with_uses(fields: tuple[Field, ...]) -> dict[str, Any]:
    from keel.core.rules.inputs import json_schema

    schema = json_schema(fields)
    schema["properties"] = {"opioids": _OPIOIDS_SCHEMA, **schema["properties"]}
    schema["required"] = ["opioids", *schema["required"]]
    return schema


# Policy values of the waits, the fentanyl profile and the lookback: the clinic's readiness owns them; the home
# start uses the same values (keel.core.rules.policy.SHARED).
TIMING_POLICY = (
    Field(
        "wait_hours_short_acting",
        "number",
        required=False,
        default=12,
        help="program policy, default 12 h from ASAM/TIP summaries (reference 9.1, secondary); heroin and "
        "short-acting prescription opioids",
    ),
    Field(
        "wait_hours_extended_release",
        "number",
        required=False,
        default=24,
        help="program policy, default 24 h (reference 9.1, secondary)",
    ),
    Field(
        "wait_hours_methadone",
        "number",
        required=False,
        default=72,
        help="program policy, default 72 h (reference 9.1, secondary)",
    ),
    Field(
        "fentanyl_profile",
        "choice",
        required=False,
        default="not_standard",
        choices=("not_standard", "longer_wait", "low_dose"),
        help="program policy, default not_standard: no fixed fentanyl wait exists (reference correction 11); "
        "longer_wait: a standard start after the fentanyl wait and COWS threshold; low_dose: a low-dose start "
        "(reference 9.5)",
    ),
    Field(
        "wait_hours_fentanyl",
        "number",
        required=False,
        default=48,
        help="program policy for the longer_wait profile, default 48 h: clinicians often wait 24-48 h "
        "(reference 9.1, secondary); never shorter than the short-acting wait",
    ),
    Field(
        "lookback_days",
        "integer",
        required=False,
        default=7,
        help="program policy, default 7 days: every opioid used within it counts (at least the longest wait)",
    ),
)
READINESS_POLICY = (
    *TIMING_POLICY,
    Field(
        "cows_threshold",
        "integer",
        required=False,
        default=8,
        help="program policy, default COWS 8 from ASAM summaries (reference 9.2, secondary); 12-13 is a "
        "stricter option",
    ),
    Field(
        "cows_threshold_fentanyl",
        "integer",
        required=False,
        default=12,
        help="program policy for the longer_wait fentanyl profile, default COWS 12: the stricter option "
        "clinicians treating fentanyl use prefer (reference 9.2, secondary); never lower than cows_threshold",
    ),
    Field(
        "cows_fresh_hours",
        "number",
        required=False,
        default=2,
        help="program policy, default 2 h: a COWS older than this is scored again (reference 9.2: re-score "
        "every 1-2 h, secondary)",
    ),
    Field(
        "last_use_report_hours",
        "number",
        required=False,
        default=24,
        help="program policy, default 24 h (Keel): the times of last use must have been asked within this "
        "time; an older intake is asked again",
    ),
)

_WAIT_SOURCES = ("asam-2020-summary", "tip63-summary")
_FENTANYL_SOURCES = ("reference-9.1-fentanyl", "asam-2023-fentanyl")


def _ago(hours: float) -> float:
    """Hours since an event as shown: rounded down to 0.1 h, so a wait shown as met is met."""
    return math.floor(hours * 10) / 10


def _left(hours: float) -> float:
    """Hours still to wait as shown: rounded up to 0.1 h."""
    return math.ceil(hours * 10) / 10


def _timing(uses: list[dict[str, Any]], p: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[Reason]]:
    """Each opioid against its own wait, most recent first: rows for `details` and one reason per opioid.
    A row's status: met, waiting, no_wait (buprenorphine), outside_lookback, not_standard, low_dose."""
    rows: list[dict[str, Any]] = []
    reasons: list[Reason] = []
    lookback = p["lookback_days"] * 24
    for use in sorted(uses, key=lambda u: (u["hours_since_last_use"], OPIOIDS.index(u["opioid"]))):
        opioid, raw = use["opioid"], use["hours_since_last_use"]  # decisions use the exact value
        hours = _ago(raw)
        row: dict[str, Any] = {"opioid": opioid, "hours_since_last_use": hours, "wait_hours": None}
        name = NAME[opioid]
        if raw > lookback:
            row["status"] = "outside_lookback"
            reasons.append(
                Reason.said(
                    gettext_noop(
                        "%(opioid)s: last used %(days)s days ago, before the %(lookback)s-day lookback; it "
                        "does not count."
                    ),
                    ("keel-policy",),
                    opioid=name,
                    days=math.floor(raw / 2.4) / 10,
                    lookback=p["lookback_days"],
                )
            )
        elif opioid == "buprenorphine":
            row["status"] = "no_wait"
            reasons.append(
                Reason.said(
                    gettext_noop("%(opioid)s: last used %(hours)s h ago; no wait before more buprenorphine."),
                    ("reference-9.6",),
                    opioid=name,
                    hours=hours,
                )
            )
        elif opioid == "fentanyl" and p["fentanyl_profile"] != "longer_wait":
            row["status"] = p["fentanyl_profile"]
            if p["fentanyl_profile"] == "low_dose":
                text = gettext_noop(
                    "%(opioid)s: last used %(hours)s h ago. Program policy for fentanyl is a low-dose start: "
                    "small, rising buprenorphine doses on the prescriber's schedule, without waiting in "
                    "withdrawal."
                )
            else:
                text = gettext_noop(
                    "%(opioid)s: last used %(hours)s h ago. There is no agreed wait after fentanyl, and "
                    "sudden, severe (precipitated) withdrawal can happen even after waiting: not a standard "
                    "start. The prescriber chooses a longer wait with a higher COWS, or a low-dose start."
                )
            reasons.append(Reason.said(text, (*_FENTANYL_SOURCES, "hammig-2016"), opioid=name, hours=hours))
        else:
            if opioid == "fentanyl":  # the longer_wait profile: never shorter than the short-acting wait
                wait = max(p["wait_hours_fentanyl"], p["wait_hours_short_acting"])
                sources: tuple[str, ...] = _FENTANYL_SOURCES
            else:
                wait, sources = p[WAIT_FIELD[opioid]], _WAIT_SOURCES
            row["wait_hours"] = wait
            if raw >= wait:
                row["status"] = "met"
                text = gettext_noop("%(opioid)s: last used %(hours)s h ago; the wait of %(wait)s h is met.")
                reasons.append(Reason.said(text, sources, opioid=name, hours=hours, wait=wait))
            else:
                row["status"] = "waiting"
                row["hours_left"] = _left(wait - raw)
                text = gettext_noop(
                    "%(opioid)s: last used %(hours)s h ago; the wait of %(wait)s h is not met: %(left)s h more."
                )
                reasons.append(
                    Reason.said(text, sources, opioid=name, hours=hours, wait=wait, left=_left(wait - raw))
                )
            if opioid == "methadone":
                reasons.append(
                    Reason.said(
                        gettext_noop(
                            "Methadone raises the risk of precipitated withdrawal (more so above 30 mg a day): "
                            "consider waiting longer or a low-dose start."
                        ),
                        ("reference-9.6",),
                    )
                )
        rows.append(row)
    return rows, reasons


def _newest_use(uses: list[dict[str, Any]]) -> dict[str, Any]:
    return min(uses, key=lambda u: u["hours_since_last_use"])


def _score_reason(
    instrument: str, total: int, age: float, uses: list[dict[str, Any]], fresh: float, threshold: int
) -> tuple[str, Reason]:
    """Whether a withdrawal score can be used (scored after the last use, and fresh) and meets the threshold:
    (status, reason). Status: met, below, before_last_use, too_old."""
    newest = _newest_use(uses)
    sources = (
        ("asam-2020-summary", "wesson-ling-2003") if instrument == "COWS" else ("reference-correction-5",)
    )
    if age >= newest["hours_since_last_use"]:
        return "before_last_use", Reason.said(
            gettext_noop(
                "The %(instrument)s of %(age)s h ago was scored before the last use (%(opioid)s, %(hours)s h "
                "ago): score it again."
            ),
            sources,
            instrument=instrument,
            age=_left(age),
            opioid=NAME[newest["opioid"]],
            hours=_ago(newest["hours_since_last_use"]),
        )
    if age > fresh:
        return "too_old", Reason.said(
            gettext_noop(
                "The %(instrument)s was scored %(age)s h ago; the program uses one for %(fresh)s h: score it "
                "again."
            ),
            sources,
            instrument=instrument,
            age=_left(age),
            fresh=fresh,
        )
    met = total >= threshold
    text = (
        gettext_noop(
            "%(instrument)s %(total)s, scored %(age)s h ago, is at or above the start threshold of %(threshold)s."
        )
        if met
        else gettext_noop(
            "%(instrument)s %(total)s, scored %(age)s h ago, is below the start threshold of %(threshold)s."
        )
    )
    return ("met" if met else "below"), Reason.said(
        text, sources, instrument=instrument, total=total, age=_left(age), threshold=threshold
    )


def _verdict(rows: list[dict[str, Any]], score_status: str) -> str:
    statuses = {r["status"] for r in rows}
    if "not_standard" in statuses:
        return "not_standard"
    if "low_dose" in statuses:
        return "low_dose"
    if "waiting" in statuses or score_status != "met":
        return "wait"
    return READY


def _readiness(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    uses = v["opioids"]
    policy = dict(p)
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
    if decision == READY:
        reasons.append(
            Reason.said(
                gettext_noop("Ready: give a first dose of 2-4 mg and score COWS again 1-2 h after it."),
                ("fda-bup-label-summary", "pcss-cows-form"),
            )
        )
    elif decision == "wait" and left > 0:
        reasons.append(
            Reason.said(
                gettext_noop(
                    "Wait about %(left)s more hours, then score COWS again. Starting too early can cause "
                    "sudden, severe (precipitated) withdrawal."
                ),
                ("reference-9.6",),
                left=left,
            )
        )
    elif decision == "wait" and status == "below":
        reasons.append(
            Reason.said(gettext_noop("Wait and score COWS again in 1-2 hours."), ("asam-2020-summary",))
        )
    details = {
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


READINESS = Rule(
    "buprenorphine-readiness",
    "2",
    "Is it time for a standard buprenorphine start? (every opioid used, a fresh COWS)",
    READINESS_INPUTS,
    READINESS_POLICY,
    _readiness,
    parse_input=_parse_with_uses(READINESS_INPUTS),
    input_schema=_schema_with_uses(READINESS_INPUTS),
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
    Field(
        "hold_open",
        "bool",
        required=False,
        default=False,
        help="a dose was held today (sedation or intoxication) and no prescriber has released the hold",
    ),
    Field(
        "first_dose",
        "bool",
        required=False,
        default=False,
        help="the first standard dose of this start (nothing given yet in this episode, no low-dose schedule)",
    ),
    Field(
        "start_verdict",
        "choice",
        required=False,
        choices=(READY, *NOT_READY, "undecided"),
        default="undecided",
        help="the readiness verdict now (buprenorphine-readiness); 'undecided' while it lacks a last use or a "
        "COWS",
    ),
    Field(
        "schedule_mg",
        "number",
        required=False,
        minimum=0,
        maximum=100,
        help="a low-dose start: today's planned total from the prescriber's schedule (mg)",
    ),
    Field(
        "schedule_step",
        "integer",
        required=False,
        minimum=1,
        maximum=60,
        help="a low-dose start: today's step of the schedule, counted in doses given (the step after the last "
        "one given; keel.core.induction.low_dose_progress)",
    ),
    Field(
        "schedule_missed_days",
        "integer",
        required=False,
        default=0,
        minimum=0,
        maximum=100000,
        help="a low-dose start: the days in a row without a step since the last one given (from the restart "
        "gap on, a prescriber restarts the schedule)",
    ),
    Field(
        "start_override",
        "bool",
        required=False,
        default=False,
        help="a prescriber recorded today, with a reason, a first dose while the verdict is not 'ready'",
    ),
    Field(
        "hours_since_last_dose",
        "number",
        required=False,
        minimum=0,
        maximum=24 * 365,
        help=REDOSE_FIELD_HELP,
    ),
    Field(
        "restart_after_days",
        "integer",
        required=False,
        minimum=1,
        maximum=100000,
        help="a restart: the days in a row without a buprenorphine dose before today (the start gate applies)",
    ),
    Field(
        "after_full_agonist",
        "bool",
        required=False,
        default=False,
        help="methadone (a full agonist) was taken since the last buprenorphine dose: this dose starts "
        "buprenorphine again (the start gate applies; precipitated withdrawal, reference 9.6)",
    ),
    Field("ordered_mg", "number", required=False, minimum=0, maximum=100, help=ORDERED_FIELD_HELP),
)
DOSE_POLICY = (
    Field(
        "low_dose_day1_max_mg",
        "number",
        required=False,
        default=0.5,
        minimum=0,
        help="program policy, default 0.5 mg: a low-dose start's first day is at most this (typical schedules "
        "start at about 0.2-0.5 mg a day, reference 9.5); a schedule starting higher is not a low-dose start "
        "and the readiness gate applies",
    ),
    Field(
        "redose_min_hours",
        "number",
        required=False,
        default=2,
        minimum=0,
        help="program policy, default 2 h, the conservative end of a further 2-4 mg 'about every 1-2 h' while "
        "withdrawal persists (reference 9.3, secondary; as the home start); a dose sooner (a double entry, a split dose) needs a prescriber's override "
        "for the day",
    ),
    Field(
        "restart_gap_days",
        "number",
        required=False,
        default=5,
        minimum=0,
        help="program policy, Keel default 5 days in a row without a buprenorphine dose: the next dose is a "
        "restart and meets the start's readiness gate and day-1 limit again (the reference gives no figure "
        "for buprenorphine; re-induction after about 5-7 days off is common practice, and 5 or more missed "
        "days is a new induction for methadone, correction 8). A low-dose schedule missed this long needs a "
        "prescriber to restart it",
    ),
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
    Field(
        "single_dose_max_mg",
        "number",
        required=False,
        default=32,
        minimum=0,
        help="program policy, Keel default 32 mg: a single dose above it needs a prescriber's override for the "
        "day (a check against entry errors; the labels set no maximum, reference correction 1)",
    ),
    Field(
        "daily_total_max_mg",
        "number",
        required=False,
        default=32,
        minimum=0,
        help="program policy, Keel default 32 mg: a day's total above it needs a prescriber's override (a check "
        "against entry errors; more than 24 mg a day may suit some people, correction 1, so never at 24)",
    ),
)


START_VERDICT_WORDS = {
    "wait": gettext_noop("not ready yet (wait, then score COWS again)"),
    "not_standard": gettext_noop("not a standard start (fentanyl)"),
    "low_dose": gettext_noop("a low-dose start"),
    "undecided": gettext_noop("not decided (a time of last use or a fresh COWS is missing)"),
}


def _dose_limit(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    if v["hold_open"]:
        return Decision("buprenorphine-dose-limit", "1", HOLD_OPEN, hold_open_reasons(), dict(p))
    if v["sedated_or_intoxicated"]:
        return _day_limit(v, p)  # held: recorded and flagged, whatever else is true
    if (
        v["first_dose"]
        and v["start_verdict"] != READY
        and not v["start_override"]
        and v["after_full_agonist"]
    ):
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            NOT_READY_TO_DOSE,
            (
                Reason.said(
                    gettext_noop(
                        "Methadone was taken since the last buprenorphine dose: buprenorphine now can bring on "
                        "precipitated withdrawal, so the start gate applies again, and the start verdict is "
                        "%(verdict)s, not ready. Wait and score COWS again, order a low-dose start, or a "
                        "prescriber records an override for today with a reason."
                    ),
                    ("reference-9.6", "asam-2020-summary", "tip63-summary"),
                    verdict=START_VERDICT_WORDS[v["start_verdict"]],
                ),
            ),
            dict(p),
        )
    if (
        v["first_dose"]
        and v["start_verdict"] != READY
        and not v["start_override"]
        and v["restart_after_days"]
    ):
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            NOT_READY_TO_DOSE,
            (
                Reason.said(
                    gettext_noop(
                        "A restart after %(days)s days without buprenorphine: the start gate applies again, and "
                        "the start verdict is %(verdict)s, not ready. Wait and score COWS again, order a "
                        "low-dose start, or a prescriber records an override for today with a reason."
                    ),
                    ("keel-bup-restart", "asam-2020-summary", "tip63-summary"),
                    days=v["restart_after_days"],
                    verdict=START_VERDICT_WORDS[v["start_verdict"]],
                ),
            ),
            dict(p),
        )
    if v["first_dose"] and v["start_verdict"] != READY and not v["start_override"]:
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            NOT_READY_TO_DOSE,
            (
                Reason.said(
                    gettext_noop(
                        "No first dose: the start verdict is %(verdict)s, not ready. Wait and score COWS again, "
                        "order a low-dose start, or a prescriber records an override for today with a reason."
                    ),
                    ("asam-2020-summary", "tip63-summary"),
                    verdict=START_VERDICT_WORDS[v["start_verdict"]],
                ),
            ),
            dict(p),
        )
    steps: tuple[Reason, ...] = ()
    restarted = False
    if v["schedule_mg"] is not None and v["schedule_step"] is not None:
        steps, restart = _schedule_step(v, p)
        if restart and not v["documented_rationale"]:
            return Decision("buprenorphine-dose-limit", "1", "needs_override", steps, dict(p))
        restarted = restart
    decision = _amount_limits(v, p)
    if not steps:
        return decision
    verdict = "allowed_with_rationale" if restarted and decision.decision == "allowed" else decision.decision
    return Decision(decision.rule, decision.version, verdict, (*steps, *decision.reasons), decision.policy)


def _schedule_step(v: Mapping[str, Any], p: Mapping[str, Any]) -> tuple[tuple[Reason, ...], bool]:
    """A low-dose schedule's step today in plain words (counted in doses given, issue #13), and whether the
    days missed since the last step reach the restart gap (a prescriber restarts the schedule)."""
    step, missed, planned = v["schedule_step"], v["schedule_missed_days"], v["schedule_mg"]
    sources = ("hammig-2016", "asam-2023-fentanyl")
    if step > 1 and missed >= p["restart_gap_days"]:
        if v["documented_rationale"]:
            template = gettext_noop(
                "A low-dose start: %(missed)s days without a dose since step %(last)s was given; a prescriber "
                "documented a reason to go on at step %(step)s today (logged)."
            )
        else:
            template = gettext_noop(
                "A low-dose start: %(missed)s days without a dose since step %(last)s was given (the program "
                "restarts after %(gap)s days). Going on with the schedule can bring on precipitated "
                "withdrawal: a prescriber restarts it at step 1 (a new order) or records an override for today "
                "with a reason."
            )
        reason = Reason.said(
            template,
            ("keel-bup-restart", *sources),
            missed=missed,
            last=step - 1,
            step=step,
            gap=p["restart_gap_days"],
        )
        return (reason,), True
    if step == 1:
        reason = Reason.said(
            gettext_noop(
                "A low-dose start: today is step 1 of the schedule (%(planned)s mg), no step given yet."
            ),
            sources,
            planned=planned,
        )
    elif missed:
        reason = Reason.said(
            gettext_noop(
                "A low-dose start: today is step %(step)s of the schedule (%(planned)s mg). %(missed)s days were "
                "missed since the last step given, so the schedule goes on from the step after it, not from the "
                "calendar day's higher step (after missed days a higher step can bring on precipitated "
                "withdrawal)."
            ),
            sources,
            step=step,
            planned=planned,
            missed=missed,
        )
    else:
        reason = Reason.said(
            gettext_noop(
                "A low-dose start: today is step %(step)s of the schedule (%(planned)s mg), the step after the "
                "last one given."
            ),
            sources,
            step=step,
            planned=planned,
        )
    return (reason,), False


def _amount_limits(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    """The amount's limits: a low-dose schedule's planned total, the ceilings, the re-dose interval and the
    day's limit."""
    total = v["given_today_mg"] + v["requested_mg"]
    planned = v["schedule_mg"]
    if planned is not None and total > planned and not v["documented_rationale"]:
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            "needs_override",
            (
                Reason.said(
                    gettext_noop(
                        "A low-dose start: today's total would be %(mg)s mg, above the %(planned)s mg the "
                        "schedule plans for today. A prescriber may override for today with a reason."
                    ),
                    ("hammig-2016", "asam-2023-fentanyl"),
                    mg=total,
                    planned=planned,
                ),
            ),
            dict(p),
        )
    ceiling, ceiling_reasons = ceilings(
        "buprenorphine-dose-limit", v["requested_mg"], total, p, v["documented_rationale"]
    )
    if ceiling in (REFUSED, "needs_override"):
        return Decision("buprenorphine-dose-limit", "1", str(ceiling), tuple(ceiling_reasons), dict(p))
    interval, interval_reasons = redose(
        "buprenorphine-dose-limit", v["hours_since_last_dose"], p, v["documented_rationale"]
    )
    if interval == "needs_override":
        return Decision("buprenorphine-dose-limit", "1", interval, tuple(interval_reasons), dict(p))
    ceiling_reasons += interval_reasons
    # The dose follows the active order (a low-dose schedule's planned total is its order for the day, above);
    # on an induction's day 1 or 2 each single dose, the day's total governed by the day's limit.
    beyond = (
        None
        if planned is not None
        else order_over(v["ordered_mg"], v["given_today_mg"], v["requested_mg"], v["phase"] != "maintenance")
    )
    day = _day_limit(v, p)
    if beyond is not None:
        template, sources, params = beyond
        if not v["documented_rationale"]:  # the day's limit first (named), then the order
            then = gettext_noop("Needs a prescriber's override for today, with a reason.")
            reason = Reason.said(template, sources, **params, then=then)
            return Decision(
                "buprenorphine-dose-limit", "1", "needs_override", (*day.reasons, reason), dict(p)
            )
        then = gettext_noop("A prescriber documented a reason (logged).")
        ceiling_reasons.append(Reason.said(template, sources, **params, then=then))
    if not ceiling_reasons:
        return day
    verdict = "allowed_with_rationale" if day.decision == "allowed" else day.decision
    return Decision(day.rule, day.version, verdict, (*ceiling_reasons, *day.reasons), day.policy)


def day_limit_mg(phase: str, p: Mapping[str, Any]) -> float:
    """The day's total limit of an induction day ("day1" or "day2"; program policy, reference 9.3): the one
    definition the window's dose limit and a correction of a day-one dose use."""
    return float(p["day1_max_mg"] if phase == "day1" else p["day2_max_mg"])


def low_dose_total_over(total_mg: float, planned_mg: float) -> Reason | None:
    """Why a low-dose schedule's day total of `total_mg` is over the `planned_mg` the schedule planned for that
    day's step (None when within): a correction meets the step the window applied (issue #13)."""
    if total_mg <= planned_mg:
        return None
    return Reason.said(
        gettext_noop(
            "A low-dose start: that day's total would be %(mg)s mg, above the %(planned)s mg the schedule "
            "planned for that day. Needs a prescriber's override for that day, with a reason."
        ),
        ("hammig-2016", "asam-2023-fentanyl"),
        mg=total_mg,
        planned=planned_mg,
    )


def induction_total_over(phase: str, total_mg: float, p: Mapping[str, Any]) -> Reason | None:
    """Why an induction day's total of `total_mg` is over that day's limit (`day_limit_mg`; None when within,
    or on a maintenance day): a correction of a dose on an induction's day 1 or 2 (the episode's first, a
    restart after a gap, a switch after methadone) meets the limit the window applied (issue #13)."""
    if phase not in ("day1", "day2"):
        return None
    limit = day_limit_mg(phase, p)
    if total_mg <= limit:
        return None
    if phase == "day1":
        template = gettext_noop(
            "The day-1 total would be %(mg)s mg, above the %(limit)s mg day-1 limit (program policy). Needs "
            "a prescriber's override for that day, with a reason."
        )
    else:
        template = gettext_noop(
            "The day-2 total would be %(mg)s mg, above the %(limit)s mg day-2 limit (program policy). Needs "
            "a prescriber's override for that day, with a reason."
        )
    return Reason.said(template, ("fda-bup-label-summary", "pcss-summary"), mg=total_mg, limit=limit)


def _day_limit(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    total = v["given_today_mg"] + v["requested_mg"]
    if v["sedated_or_intoxicated"]:
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            "hold",
            (
                Reason.said(
                    gettext_noop(
                        "Sedated or intoxicated now: hold the dose and ask a prescriber to assess before any dose."
                    ),
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
                Reason.said(
                    gettext_noop(
                        "Maintenance: %(mg)s mg today. The labels set no maximum daily dose; doses are titrated to "
                        "the person (no warning at 24 mg, no 16 mg target)."
                    ),
                    ("fda-89fr105613",),
                    mg=total,
                ),
            ),
            dict(p),
        )
    limit = day_limit_mg(v["phase"], p)
    one = v["phase"] == "day1"
    if total <= limit:
        return Decision(
            "buprenorphine-dose-limit",
            "1",
            "allowed",
            (
                Reason.said(
                    gettext_noop(
                        "Day 1 total would be %(mg)s mg, within the %(limit)s mg limit (program policy)."
                    )
                    if one
                    else gettext_noop(
                        "Day 2 total would be %(mg)s mg, within the %(limit)s mg limit (program policy)."
                    ),
                    ("fda-bup-label-summary",),
                    mg=total,
                    limit=limit,
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
                Reason.said(
                    gettext_noop(
                        "Day 1 total would be %(mg)s mg, above the %(limit)s mg limit (program policy); allowed "
                        "because a prescriber documented a reason (logged)."
                    )
                    if one
                    else gettext_noop(
                        "Day 2 total would be %(mg)s mg, above the %(limit)s mg limit (program policy); allowed "
                        "because a prescriber documented a reason (logged)."
                    ),
                    ("fda-bup-label-summary", "pcss-summary"),
                    mg=total,
                    limit=limit,
                ),
            ),
            dict(p),
        )
    return Decision(
        "buprenorphine-dose-limit",
        "1",
        "needs_override",
        (
            Reason.said(
                gettext_noop(
                    "Day 1 total would be %(mg)s mg, above the %(limit)s mg limit (program policy). A prescriber "
                    "may override with a written reason."
                )
                if one
                else gettext_noop(
                    "Day 2 total would be %(mg)s mg, above the %(limit)s mg limit (program policy). A prescriber "
                    "may override with a written reason."
                ),
                ("fda-bup-label-summary", "pcss-summary"),
                mg=total,
                limit=limit,
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


HOME_INPUTS = (
    Field("sows_total", "integer", minimum=0, maximum=64, help="the person's SOWS total"),
    Field(
        "sows_age_hours",
        "number",
        minimum=0,
        maximum=24 * 365,
        help="hours since that SOWS was rated (it must be after the last use and fresh)",
    ),
)
HOME_POLICY = (
    Field(
        "home_sows_threshold",
        "integer",
        required=False,
        default=17,
        help="program policy, default SOWS 17 from a published patient protocol (reference Correction 5, "
        "secondary; no SOWS bands are shown)",
    ),
    Field(
        "redose_interval_hours",
        "number",
        required=False,
        default=2,
        help="program policy, default 2 h: the conservative end of 're-dose about every 1-2 h' (reference 9.3, "
        "secondary)",
    ),
    Field(
        "sows_fresh_hours",
        "number",
        required=False,
        default=1,
        help="program policy, default 1 h: the person rates again about every hour while waiting (reference "
        "9.4, secondary)",
    ),
    *(f for f in TIMING_POLICY),  # shared with buprenorphine-readiness (stored there)
)


def _home_start(v: Mapping[str, Any], p: Mapping[str, Any]) -> Decision:
    name, threshold = "buprenorphine-home-start", p["home_sows_threshold"]
    uses = v["opioids"]
    rows, reasons = _timing(uses, p)
    status, score = _score_reason(
        "SOWS", v["sows_total"], v["sows_age_hours"], uses, p["sows_fresh_hours"], threshold
    )
    reasons.append(score)
    verdict = _verdict(rows, status)
    left = max((r.get("hours_left", 0) for r in rows), default=0)
    if verdict == READY:
        verdict = HOME_READY
        reasons.append(
            Reason.said(
                gettext_noop(
                    "Withdrawal is clear enough for the first dose at home. If withdrawal continues, another dose "
                    "after %(redose)s h, within the day's limit."
                ),
                ("reference-correction-5", "tip63-summary"),
                redose=p["redose_interval_hours"],
            )
        )
    elif verdict == "wait":
        reasons.append(
            Reason.said(
                gettext_noop(
                    "Wait, and rate your withdrawal again in about an hour. Starting too early can cause "
                    "sudden, severe (precipitated) withdrawal."
                ),
                ("reference-correction-5", "reference-9.6"),
            )
        )
    else:
        reasons.append(
            Reason.said(
                gettext_noop("Do not start at home on your own: call your clinic first."),
                _FENTANYL_SOURCES,
            )
        )
    details = {
        "opioids": rows,
        "sows": {
            "total": v["sows_total"],
            "age_hours": _left(v["sows_age_hours"]),
            "threshold": threshold,
            "status": status,
        },
        "hours_left": left,
    }
    return Decision(name, "2", verdict, tuple(reasons), dict(p), details)


HOME_START = Rule(
    "buprenorphine-home-start",
    "2",
    "May the person take the first buprenorphine dose at home now? (every opioid used, a fresh SOWS)",
    HOME_INPUTS,
    HOME_POLICY,
    _home_start,
    parse_input=_parse_with_uses(HOME_INPUTS),
    input_schema=_schema_with_uses(HOME_INPUTS),
)


SCHEDULE_MAX_RISE = 2  # a low-dose step is at most twice the step before it (review 13d)


def schedule_rise_problem(steps: list[dict[str, Any]]) -> str:
    """Why a low-dose schedule is not one ("" when it is): it rises gradually, each day's planned total at
    most twice the one before it (the published schedules double at most: Bernese 0.2-0.4-0.8 mg, 0.5-1-2-4
    mg; reference 9.5, Hammig 2016). A jump from 0.5 mg to 24 mg is a standard start with no readiness
    verdict, while the full agonist is still on board."""
    for before, step in pairwise(steps):
        if step["mg"] > SCHEDULE_MAX_RISE * before["mg"]:
            return (
                f"a low-dose start rises gradually: day {step['day']}'s {step['mg']:g} mg is more than twice the "
                f"{before['mg']:g} mg planned before it"
            )
    return ""


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
