"""Extended-release naltrexone (Vivitrol label, reference section 11 and correction 10).

- Opioid-free for at least 7-10 days before the first dose [V] (policy default 7 days), counted from the last
  use of any opioid; the reasons name the opioid last used.
- After methadone or buprenorphine, the label's section "Switching from Buprenorphine or Methadone": people may
  be vulnerable to precipitated withdrawal for as long as 2 weeks [S]. Default (correction 10): a warning until
  day 14 with the naloxone challenge named; a program may require the challenge, or the full wait (policy).
  The naloxone-challenge doses come from the oral naltrexone label, not Vivitrol's [S].
- Consider a naloxone challenge when recent use is uncertain; 380 mg every 4 weeks (next due 28 days after
  the last); lower tolerance at the end of an interval or after stopping (label warning 5.1).
- A later injection sooner than the program's minimum interval (policy `min_interval_days`, default 21 days:
  the label gives 380 mg "every 4 weeks or once a month", reference 11, and no earlier repeat) is a second
  depot on top of the first: it needs a prescriber's override for the day, with a reason (`interval`).

Verdicts: "eligible" and "caution" (eligible, with the switching warning) allow the first injection;
"needs_challenge" (program policy: a negative naloxone challenge first) and "not_eligible" do not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from typing import NotRequired, TypedDict, cast

from keel.core.decision import Decision, Reason
from keel.core.opioids import AGONIST_TREATMENTS, NAME, OPIOIDS
from keel.core.rules.base import NoPolicy, Rule
from keel.core.rules.inputs import (
    Field,
    FieldError,
    FieldValue,
    InvalidInput,
    ObjectSchema,
    check_fields,
    json_schema,
)
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

INTERVAL_DAYS = 28
MAY_INJECT = ("eligible", "caution")  # the verdicts that allow a first injection
TOO_SOON = "too_soon"  # a later injection before the program's minimum interval, without an override

USE_FIELDS = (
    Field("opioid", "choice", choices=OPIOIDS, help="the opioid"),
    Field("days_since_last_use", "number", minimum=0, maximum=365 * 10, help="days since its last use"),
)
INPUTS = (
    Field(
        "history_uncertain", "bool", required=False, default=False, help="recent opioid use is not certain"
    ),
    Field(
        "naloxone_challenge_negative",
        "bool",
        required=False,
        default=False,
        help="a naloxone challenge was done today and brought on no withdrawal",
    ),
    Field("last_injection_on", "date", required=False, help="date of the last injection, if any"),
)
POLICY = (
    Field(
        "opioid_free_days",
        "integer",
        required=False,
        default=7,
        help=N_("program policy, default 7 days (label: 7-10 days; may only be made longer)"),
    ),
    Field(
        "agonist_switch_days",
        "integer",
        required=False,
        default=14,
        help=N_(
            "program policy, default 14 days after methadone or buprenorphine (label section 'Switching from "
            "Buprenorphine or Methadone': up to 2 weeks; reference correction 10)"
        ),
    ),
    Field(
        "continuing_course_days",
        "integer",
        required=False,
        default=35,
        help=N_(
            "program policy, default 35 days: a later injection skips the opioid-free check only within the "
            "4-week dosing interval plus a week's grace (label: every 4 weeks; 'missed dose: give as soon as "
            "possible'; the 7-day opioid-free minimum is the grace). Later, or after a voided injection, the "
            "first-injection readiness applies again"
        ),
    ),
    Field(
        "min_interval_days",
        "integer",
        required=False,
        default=21,
        help=N_(
            "program policy, default 21 days: a later injection sooner than this after the last one needs a "
            "prescriber's override for the day (label: 380 mg every 4 weeks or once a month, reference 11; no "
            "earlier repeat is described). Default a week before the due date, so an injection moved a few days "
            "early (a holiday, travel) is given; a second depot a week or two after the first is not"
        ),
    ),
    Field(
        "agonist_switch",
        "choice",
        required=False,
        default="warn",
        choices=("warn", "challenge", "wait"),
        help=N_(
            "program policy before that day: warn (default, correction 10), challenge (a negative naloxone "
            "challenge first) or wait (the full interval)"
        ),
    ),
)


class OpioidUse(TypedDict):
    """One opioid used and the days since its last use, as `_parse` reads it (USE_FIELDS)."""

    opioid: str
    days_since_last_use: float


class ReadinessInput(TypedDict):
    """INPUTS as `_parse` checks them (a field not given: its default, else None), with every opioid used."""

    opioids: list[OpioidUse]
    history_uncertain: bool
    naloxone_challenge_negative: bool
    last_injection_on: date | None


class ReadinessPolicy(TypedDict):
    """POLICY's values."""

    opioid_free_days: int
    agonist_switch_days: int
    continuing_course_days: int
    min_interval_days: int
    agonist_switch: str


class ReadinessDetails(TypedDict):
    """A first injection's other outputs: the opioid used last, how long ago (days), the agonist treatments
    it switches from and, after an injection given, the next one's due date (ISO)."""

    last_opioid: str
    days_since_last_use: float
    switching_from: list[str]
    next_due_on: NotRequired[str]


class RepeatDetails(TypedDict):
    """A later injection's other outputs: the next one's due date (ISO) and, when sooner than the program's
    minimum interval, the days since the last."""

    next_due_on: str
    days_since_last_injection: NotRequired[int]


_LABEL = ("vivitrol-label",)
_SWITCHING = ("vivitrol-label-switching",)
_CHALLENGE = ("naltrexone-oral-label",)
LABEL_SOURCES = (*_LABEL, *_SWITCHING)  # the label's warnings and its switching section (review 36f hole 3)
_REPLACED = {"days_since_last_opioid": "replaced by opioids: a list of {opioid, days_since_last_use}"}


def _parse(raw: Mapping[str, object]) -> ReadinessInput:
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("input", N_("must be a JSON object"))])
    errors = [FieldError(k, why) for k, why in _REPLACED.items() if k in raw]
    values: dict[str, FieldValue] = {}
    try:
        values = check_fields(INPUTS, {k: v for k, v in raw.items() if k not in _REPLACED and k != "opioids"})
    except InvalidInput as exc:
        errors += exc.errors
    last = values.get("last_injection_on")  # a date field: a date or None
    if isinstance(last, date) and last > date.max - timedelta(
        days=INTERVAL_DAYS
    ):  # its due day overflowed: a 500
        errors.append(
            FieldError(
                "last_injection_on", N_("give the day of the last injection (it cannot be this far ahead)")
            )
        )
    uses = raw.get("opioids")
    if not isinstance(uses, list) or not uses:
        errors.append(FieldError("opioids", N_("list each opioid used, with the days since its last use")))
        uses = []
    seen: set[str] = set()
    parsed: list[OpioidUse] = []
    for i, item in enumerate(uses):
        try:
            use = cast(OpioidUse, check_fields(USE_FIELDS, item, prefix=f"opioids[{i}]."))
        except InvalidInput as exc:
            errors += exc.errors
            continue
        if use["opioid"] in seen:
            errors.append(FieldError(f"opioids[{i}].opioid", N_("listed twice: give each opioid once")))
            continue
        seen.add(use["opioid"])
        parsed.append(use)
    if errors:
        raise InvalidInput(errors)
    return cast(ReadinessInput, {**values, "opioids": parsed})  # INPUTS checked, each of its field's kind


def _schema() -> ObjectSchema:
    schema = json_schema(INPUTS)
    schema["properties"] = {
        "opioids": {
            "type": "array",
            "minItems": 1,
            "description": "every opioid used, each once, with the days since its last use",
            "items": {
                "type": "object",
                "properties": {f.name: f.schema() for f in USE_FIELDS},
                "required": [f.name for f in USE_FIELDS],
                "additionalProperties": False,
            },
        },
        **schema["properties"],
    }
    schema["required"] = ["opioids", *schema["required"]]
    return schema


def _days(value: float) -> float:
    return math.floor(value * 10) / 10


def _opioid_free(newest: OpioidUse, need: float) -> tuple[str, Reason]:
    """Eligible when the last use of any opioid was at least `opioid_free_days` ago, not eligible otherwise.
    Methadone or buprenorphine last is a dose of medication (given at the clinic, a take-home or a fill), never
    called a "use" (lane words22: the card said a clinic's methadone dose was the person's "last use")."""
    days = newest["days_since_last_use"]
    medication = newest["opioid"] in AGONIST_TREATMENTS
    if days < need:
        template = (
            gettext_noop(
                "%(days)s days since the last dose of medication (%(opioid)s); at least %(need)s days without "
                "any opioid are needed to avoid severe precipitated withdrawal."
            )
            if medication
            else gettext_noop(
                "Opioid-free for %(days)s days since the last use (%(opioid)s); at least %(need)s are needed "
                "to avoid severe precipitated withdrawal."
            )
        )
        return "not_eligible", Reason.said(
            template, _LABEL, days=_days(days), opioid=NAME[newest["opioid"]], need=need
        )
    template = (
        gettext_noop(
            "%(days)s days since the last dose of medication (%(opioid)s); at least %(need)s days without any "
            "opioid are needed."
        )
        if medication
        else gettext_noop(
            "Opioid-free for %(days)s days since the last use (%(opioid)s); at least %(need)s are needed."
        )
    )
    return "eligible", Reason.said(
        template, _LABEL, days=_days(days), opioid=NAME[newest["opioid"]], need=need
    )


def _switching_reason(use: OpioidUse, p: ReadinessPolicy) -> Reason:
    """Methadone or buprenorphine within `agonist_switch_days`: the label's switching warning, and when that day
    comes."""
    left = p["agonist_switch_days"] - use["days_since_last_use"]
    return Reason.said(
        gettext_noop(
            "%(opioid)s %(days)s days ago: after methadone or buprenorphine, precipitated withdrawal can "
            "happen for as long as 2 weeks (label: Switching from Buprenorphine or Methadone). Day "
            "%(switch)s is in %(left)s days."
        ),
        _SWITCHING,
        opioid=NAME[use["opioid"]],
        days=_days(use["days_since_last_use"]),
        switch=p["agonist_switch_days"],
        left=math.ceil(left * 10) / 10,
    )


def _switch_policy(v: ReadinessInput, p: ReadinessPolicy) -> tuple[str, Reason | None]:
    """An otherwise eligible person switching from an agonist, by the program's `agonist_switch` policy: wait
    (not eligible), a negative naloxone challenge first (needs_challenge until it is recorded), or caution."""
    rule = p["agonist_switch"]
    if rule == "wait":
        return "not_eligible", Reason.said(
            gettext_noop("Program policy: wait until day %(switch)s after methadone or buprenorphine."),
            ("keel-policy", *_SWITCHING),
            switch=p["agonist_switch_days"],
        )
    if rule == "challenge" and not v["naloxone_challenge_negative"]:
        return "needs_challenge", Reason.said(
            gettext_noop(
                "Program policy: before day %(switch)s, a naloxone challenge first; give the injection only "
                "if it brings on no withdrawal."
            ),
            ("keel-policy", *_SWITCHING),
            switch=p["agonist_switch_days"],
        )
    return "caution", None


def _challenge_reason(v: ReadinessInput) -> Reason:
    """The naloxone challenge, done (and negative) or to consider, with the oral naltrexone label's doses."""
    if v["naloxone_challenge_negative"]:
        return Reason.said(gettext_noop("A naloxone challenge today brought on no withdrawal."), _CHALLENGE)
    return Reason.said(
        gettext_noop(
            "Consider a naloxone challenge first (oral naltrexone label: 0.2 mg IV, then 0.6 mg IV; "
            "or 0.8 mg under the skin), and give the injection only if it brings on no withdrawal."
        ),
        _CHALLENGE,
    )


def _readiness(v: ReadinessInput, p: ReadinessPolicy) -> Decision[ReadinessPolicy, ReadinessDetails]:
    uses = sorted(v["opioids"], key=lambda u: (u["days_since_last_use"], OPIOIDS.index(u["opioid"])))
    newest = uses[0]
    days, need = newest["days_since_last_use"], p["opioid_free_days"]
    switching = [
        u
        for u in uses
        if u["opioid"] in AGONIST_TREATMENTS and u["days_since_last_use"] < p["agonist_switch_days"]
    ]
    decision, free = _opioid_free(newest, need)
    reasons: list[Reason] = [free, *(_switching_reason(use, p) for use in switching)]
    if switching and decision == "eligible":
        decision, policy = _switch_policy(v, p)
        if policy is not None:
            reasons.append(policy)
    if decision != "not_eligible" and (switching or v["history_uncertain"]):
        reasons.append(_challenge_reason(v))
    details: ReadinessDetails = {
        "last_opioid": newest["opioid"],
        "days_since_last_use": _days(days),
        "switching_from": [u["opioid"] for u in switching],
    }
    if v["last_injection_on"] is not None:
        due, reason = _next_due(v["last_injection_on"])
        details["next_due_on"] = due.isoformat()
        reasons.append(reason)
    return Decision("naltrexone-readiness", "2", decision, tuple(reasons), p.copy(), details)


def _next_due(last: date) -> tuple[date, Reason]:
    due = last + timedelta(days=INTERVAL_DAYS)
    return due, Reason.said(
        gettext_noop(
            "Next injection due %(due)s (every 4 weeks). Near the end of an interval, or after stopping, "
            "tolerance is lower: the overdose risk is higher."
        ),
        _LABEL,
        due=due.isoformat(),
    )


def repeat_injection(
    given_on: date,
    days_since_last: int | None = None,
    p: ReadinessPolicy | None = None,
    documented: bool = False,
) -> Decision[ReadinessPolicy | NoPolicy, RepeatDetails]:
    """A later injection (the person is on XR-naltrexone already): no opioid-free check, the next due date and
    the lost-tolerance warning (label warning 5.1). With `days_since_last` and the policy `p`: an injection
    sooner than `min_interval_days` after the last is "too_soon" (blocked) unless a prescriber `documented` a
    reason for today (then "repeat", the reason logged)."""
    due, reason = _next_due(given_on)
    details: RepeatDetails = {"next_due_on": due.isoformat()}
    policy: ReadinessPolicy | NoPolicy = p.copy() if p else {}
    need = p["min_interval_days"] if p else None
    if days_since_last is None or need is None or days_since_last >= need:
        return Decision("naltrexone-readiness", "2", "repeat", (reason,), policy, details)
    details["days_since_last_injection"] = days_since_last
    last_due = (given_on - timedelta(days=days_since_last) + timedelta(days=INTERVAL_DAYS)).isoformat()
    if documented:
        early = Reason.said(
            gettext_noop(
                "The last injection was %(days)s days ago, sooner than the program's %(need)s-day minimum "
                "interval (due %(due)s); a prescriber documented a reason (logged)."
            ),
            ("keel-policy", *_LABEL),
            days=days_since_last,
            need=need,
            due=last_due,
        )
        return Decision("naltrexone-readiness", "2", "repeat", (early, reason), policy, details)
    return Decision(
        "naltrexone-readiness",
        "2",
        TOO_SOON,
        (
            Reason.said(
                gettext_noop(
                    "The last injection was %(days)s days ago and the next is due %(due)s (380 mg every 4 "
                    "weeks). An injection sooner than %(need)s days after the last puts a second dose on top "
                    "of the first: check the date. A prescriber may override for today with a reason."
                ),
                ("keel-policy", *_LABEL),
                days=days_since_last,
                due=last_due,
                need=need,
            ),
        ),
        policy,
        {"next_due_on": last_due, "days_since_last_injection": days_since_last},
    )


READINESS: Rule[ReadinessInput, ReadinessPolicy, ReadinessDetails] = Rule(
    "naltrexone-readiness",
    "2",
    "Can extended-release naltrexone be started? (every opioid used; switching from methadone or buprenorphine)",
    INPUTS,
    POLICY,
    _readiness,
    parse_input=_parse,
    input_schema=_schema(),
)
