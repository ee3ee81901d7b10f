"""The rule buprenorphine-home-start: may the person take the first dose at home now (every opioid used,
a fresh SOWS)? The waits and the fentanyl profile are the readiness rule's (keel.core.rules.policy.SHARED).
Never after a hold today (review 18a) nor after the clinic gave buprenorphine or methadone today (review 19a:
today's first dose was given there)."""

from __future__ import annotations

from typing import TypedDict

from keel.core.decision import Decision, NoDetails, Reason
from keel.core.rules.base import Rule
from keel.core.rules.buprenorphine.timing import (
    _FENTANYL_SOURCES,
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
from keel.core.rules.buprenorphine.verdicts import DOSED_TODAY, HOME_READY, READY
from keel.core.rules.inputs import Field
from keel.core.rules.window import HOLD_OPEN, HOLD_SOURCES
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

# A dose at the clinic today, then a first dose at home: past the day-1 limit (a second first dose), or
# buprenorphine after methadone (precipitated withdrawal).
DOSED_TODAY_SOURCES = ("fda-bup-label-summary", "reference-9.6")
# What the person reads when the clinic stopped today's home start: a dose held there today, or a dose given
# there today. The rule says it with its verdict; the home-start page says it too before the rule can run (the
# times of last use or the SOWS still missing), never "before your first dose, we need..." after such a day.
HELD_TODAY = gettext_noop(
    "Your clinic held your dose today because you seemed too drowsy to take it safely. Do not "
    "take buprenorphine at home today. Talk to your care team first."
)
DOSED_TODAY_WORDS = gettext_noop(
    "Your clinic already gave you a dose today. Do not take a first dose at home now. Talk to "
    "your care team before you take any more."
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
    Field(
        "hold_open",
        "bool",
        required=False,
        default=False,
        help="a dose was held (today or before; sedation or intoxication) and no prescriber has released the hold: the "
        "window's definition (review 18a)",
    ),
    Field(
        "dosed_today",
        "bool",
        required=False,
        default=False,
        help="the clinic gave buprenorphine or methadone today (given and taken, the clinic's record): "
        "today's first dose was given there, so a first dose at home now would be a second one (review 19a)",
    ),
)
HOME_POLICY = (
    Field(
        "home_sows_threshold",
        "integer",
        required=False,
        default=17,
        help=N_(
            "program policy, default SOWS 17 from a published patient protocol (reference Correction 5, "
            "secondary; no SOWS bands are shown)"
        ),
    ),
    Field(
        "redose_interval_hours",
        "number",
        required=False,
        default=2,
        help=N_(
            "program policy, default 2 h: the conservative end of 're-dose about every 1-2 h' (reference 9.3, "
            "secondary)"
        ),
    ),
    Field(
        "sows_fresh_hours",
        "number",
        required=False,
        default=1,
        help=N_(
            "program policy, default 1 h: the person rates again about every hour while waiting (reference "
            "9.4, secondary)"
        ),
    ),
    *(f for f in TIMING_POLICY),  # shared with buprenorphine-readiness (stored there)
)


class HomeInput(TypedDict):
    """HOME_INPUTS as the rule's parser checks them, with every opioid used (`parse_uses`)."""

    opioids: list[OpioidUse]
    sows_total: int
    sows_age_hours: float
    hold_open: bool
    dosed_today: bool


class HomePolicy(TimingPolicy):
    """HOME_POLICY's values (the waits' with them)."""

    home_sows_threshold: int
    redose_interval_hours: float
    sows_fresh_hours: float


class HomeDetails(TypedDict):
    """A home start's other outputs: each opioid against its wait, the SOWS, the hours left to wait."""

    opioids: list[TimingRow]
    sows: ScoreDetails
    hours_left: float


def _clinic_stop(hold_open: bool, dosed_today: bool) -> tuple[str, Reason] | None:
    """The verdict and its reason when the clinic stopped today's home start: a dose held there today and not
    released (HOLD_OPEN: no dose at home either until a prescriber sees them), else methadone or buprenorphine
    given there today (DOSED_TODAY: today's first dose was given there). None: the clinic did not stop it."""
    if hold_open:
        return HOLD_OPEN, Reason.said(HELD_TODAY, HOLD_SOURCES)
    if dosed_today:
        return DOSED_TODAY, Reason.said(DOSED_TODAY_WORDS, DOSED_TODAY_SOURCES)
    return None


def stopped_by_clinic(
    hold_open: bool, dosed_today: bool, p: HomePolicy
) -> Decision[HomePolicy, NoDetails] | None:
    """The home start's decision on a day the clinic stopped it, before the person's inputs (the times of
    last use, a withdrawal rating) are complete: the verdict and reason the rule gives with them
    (`_clinic_stop`, the one definition; session 21: the page said it, the API answered no decision). None:
    the clinic did not stop it (the rule waits for the inputs)."""
    stop = _clinic_stop(hold_open, dosed_today)
    if stop is None:
        return None
    return Decision("buprenorphine-home-start", "3", stop[0], (stop[1],), p.copy(), NoDetails())


def _home_start(v: HomeInput, p: HomePolicy) -> Decision[HomePolicy, HomeDetails]:
    name, threshold = "buprenorphine-home-start", p["home_sows_threshold"]
    uses = v["opioids"]
    rows, reasons = _timing(uses, p)
    status, score = _score_reason(
        "SOWS", v["sows_total"], v["sows_age_hours"], uses, p["sows_fresh_hours"], threshold
    )
    reasons.append(score)
    verdict = _verdict(rows, status)
    left = max((r.get("hours_left", 0) for r in rows), default=0)
    stop = _clinic_stop(v["hold_open"], v["dosed_today"])
    if stop is not None:  # the clinic held a dose today, or gave one: no first dose at home today
        verdict = stop[0]
        reasons.append(stop[1])
    else:
        verdict = HOME_READY if verdict == READY else verdict
        reasons.append(_home_next_step(verdict, p))
    details: HomeDetails = {
        "opioids": rows,
        "sows": {
            "total": v["sows_total"],
            "age_hours": _left(v["sows_age_hours"]),
            "threshold": threshold,
            "status": status,
        },
        "hours_left": left,
    }
    return Decision(name, "3", verdict, tuple(reasons), p.copy(), details)


def _home_next_step(verdict: str, p: HomePolicy) -> Reason:
    """What the person does next at home: the first dose (and when another may follow), wait and rate again,
    or call the clinic first."""
    if verdict == HOME_READY:
        return Reason.said(
            gettext_noop(
                "Withdrawal is clear enough for the first dose at home. If withdrawal continues, another dose "
                "after %(redose)s h, within the day's limit."
            ),
            ("reference-correction-5", "tip63-summary"),
            redose=p["redose_interval_hours"],
        )
    if verdict == "wait":
        return Reason.said(
            gettext_noop(
                "Wait, and rate your withdrawal again in about an hour. Starting too early can cause "
                "sudden, severe (precipitated) withdrawal."
            ),
            ("reference-correction-5", "reference-9.6"),
        )
    return Reason.said(
        gettext_noop("Do not start at home on your own: call your clinic first."),
        _FENTANYL_SOURCES,
    )


HOME_START: Rule[HomeInput, HomePolicy, HomeDetails] = Rule(
    "buprenorphine-home-start",
    "3",
    "May the person take the first buprenorphine dose at home now? (every opioid used, a fresh SOWS)",
    HOME_INPUTS,
    HOME_POLICY,
    _home_start,
    parse_input=_parse_with_uses(HOME_INPUTS),
    input_schema=_schema_with_uses(HOME_INPUTS),
)
