"""The waits and the withdrawal score, shared by readiness and the home start: the timing policy, each
opioid against its own wait (the strictest verdict wins), whether a COWS or SOWS can be used and meets the
threshold, and the verdict from both."""

from __future__ import annotations

import math
from typing import NotRequired, TypedDict

from keel.core.decision import Reason
from keel.core.opioids import NAME, OPIOIDS, WAIT_FIELD
from keel.core.rules.buprenorphine.uses import OpioidUse
from keel.core.rules.buprenorphine.verdicts import READY
from keel.core.rules.inputs import Field
from keel.core.words import gettext_noop
from keel.core.words import gettext_noop as N_

# Policy values of the waits, the fentanyl profile and the lookback: the clinic's readiness owns them; the home
# start uses the same values (keel.core.rules.policy.SHARED).
TIMING_POLICY = (
    Field(
        "wait_hours_short_acting",
        "number",
        required=False,
        default=12,
        help=N_(
            "program policy, default 12 h from ASAM/TIP summaries (reference 9.1, secondary); heroin and "
            "short-acting prescription opioids"
        ),
    ),
    Field(
        "wait_hours_extended_release",
        "number",
        required=False,
        default=24,
        help=N_("program policy, default 24 h (reference 9.1, secondary)"),
    ),
    Field(
        "wait_hours_methadone",
        "number",
        required=False,
        default=72,
        help=N_("program policy, default 72 h (reference 9.1, secondary)"),
    ),
    Field(
        "fentanyl_profile",
        "choice",
        required=False,
        default="not_standard",
        choices=("not_standard", "longer_wait", "low_dose"),
        help=N_(
            "program policy, default not_standard: no fixed fentanyl wait exists (reference correction 11); "
            "longer_wait: a standard start after the fentanyl wait and COWS threshold; low_dose: a low-dose start "
            "(reference 9.5)"
        ),
    ),
    Field(
        "wait_hours_fentanyl",
        "number",
        required=False,
        default=48,
        help=N_(
            "program policy for the longer_wait profile, default 48 h: clinicians often wait 24-48 h "
            "(reference 9.1, secondary); never shorter than the short-acting wait"
        ),
    ),
    Field(
        "lookback_days",
        "integer",
        required=False,
        default=7,
        help=N_(
            "program policy, default 7 days: every opioid used within it counts (at least the longest wait)"
        ),
    ),
)


class TimingPolicy(TypedDict):
    """TIMING_POLICY's values, in the policy of readiness and of the home start."""

    wait_hours_short_acting: float
    wait_hours_extended_release: float
    wait_hours_methadone: float
    fentanyl_profile: str
    wait_hours_fentanyl: float
    lookback_days: int


class TimingRow(TypedDict):
    """One opioid against its wait, for a decision's `details`: the hours shown, the wait (None without one),
    the status and, while waiting, the hours left."""

    opioid: str
    hours_since_last_use: float
    wait_hours: float | None
    status: NotRequired[str]
    hours_left: NotRequired[float]


class ScoreDetails(TypedDict):
    """A withdrawal score (COWS or SOWS) in a decision's `details`: its total, its age (h), the threshold it
    was held to and its status."""

    total: int
    age_hours: float
    threshold: int
    status: str


_WAIT_SOURCES = ("asam-2020-summary", "tip63-summary")
_FENTANYL_SOURCES = ("reference-9.1-fentanyl", "asam-2023-fentanyl")


def _ago(hours: float) -> float:
    """Hours since an event as shown: rounded down to 0.1 h, so a wait shown as met is met."""
    return math.floor(hours * 10) / 10


def _left(hours: float) -> float:
    """Hours still to wait as shown: rounded up to 0.1 h."""
    return math.ceil(hours * 10) / 10


def _timing(uses: list[OpioidUse], p: TimingPolicy) -> tuple[list[TimingRow], list[Reason]]:
    """Each opioid against its own wait, most recent first: rows for `details` and one reason per opioid.
    A row's status: met, waiting, no_wait (buprenorphine), outside_lookback, not_standard, low_dose."""
    rows: list[TimingRow] = []
    reasons: list[Reason] = []
    for use in sorted(uses, key=lambda u: (u["hours_since_last_use"], OPIOIDS.index(u["opioid"]))):
        row, said = _use_timing(use, p)
        rows.append(row)
        reasons.extend(said)
    return rows, reasons


def _use_timing(use: OpioidUse, p: TimingPolicy) -> tuple[TimingRow, list[Reason]]:
    """One opioid's row and reasons: outside the lookback, buprenorphine (no wait), fentanyl without a
    fixed wait, or a wait met or not."""
    opioid, raw = use["opioid"], use["hours_since_last_use"]  # decisions use the exact value
    hours = _ago(raw)
    row: TimingRow = {"opioid": opioid, "hours_since_last_use": hours, "wait_hours": None}
    if raw > p["lookback_days"] * 24:
        row["status"] = "outside_lookback"
        return row, [_outside_lookback(opioid, raw, p)]
    if opioid == "buprenorphine":
        row["status"] = "no_wait"
        return row, [_no_wait(opioid, hours)]
    if opioid == "fentanyl" and p["fentanyl_profile"] != "longer_wait":
        row["status"] = p["fentanyl_profile"]
        return row, [_fentanyl_without_wait(opioid, hours, p)]
    return row, _waited(row, opioid, raw, hours, p)


def _outside_lookback(opioid: str, raw: float, p: TimingPolicy) -> Reason:
    """An opioid last used before the lookback: it does not count."""
    return Reason.said(
        gettext_noop(
            "%(opioid)s: last used %(days)s days ago, before the %(lookback)s-day lookback; it "
            "does not count."
        ),
        ("keel-policy",),
        opioid=NAME[opioid],
        days=math.floor(raw / 2.4) / 10,
        lookback=p["lookback_days"],
    )


def _no_wait(opioid: str, hours: float) -> Reason:
    """Buprenorphine itself: no wait before more."""
    return Reason.said(
        gettext_noop("%(opioid)s: last used %(hours)s h ago; no wait before more buprenorphine."),
        ("reference-9.6",),
        opioid=NAME[opioid],
        hours=hours,
    )


def _fentanyl_without_wait(opioid: str, hours: float, p: TimingPolicy) -> Reason:
    """Fentanyl under the not_standard or low_dose profile: no wait is counted."""
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
    return Reason.said(text, (*_FENTANYL_SOURCES, "hammig-2016"), opioid=NAME[opioid], hours=hours)


def _waited(row: TimingRow, opioid: str, raw: float, hours: float, p: TimingPolicy) -> list[Reason]:
    """An opioid with a wait (fentanyl under longer_wait, never shorter than the short-acting wait): met or
    waiting, with the hours left in `row`; methadone adds its caution."""
    name = NAME[opioid]
    if opioid == "fentanyl":  # the longer_wait profile: never shorter than the short-acting wait
        wait = max(p["wait_hours_fentanyl"], p["wait_hours_short_acting"])
        sources: tuple[str, ...] = _FENTANYL_SOURCES
    else:
        wait, sources = p[WAIT_FIELD[opioid]], _WAIT_SOURCES
    row["wait_hours"] = wait
    reasons: list[Reason] = []
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
    return reasons


def _newest_use(uses: list[OpioidUse]) -> OpioidUse:
    return min(uses, key=lambda u: u["hours_since_last_use"])


def _score_reason(
    instrument: str, total: int, age: float, uses: list[OpioidUse], fresh: float, threshold: int
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


def _verdict(rows: list[TimingRow], score_status: str) -> str:
    statuses = {r["status"] for r in rows}
    if "not_standard" in statuses:
        return "not_standard"
    if "low_dose" in statuses:
        return "low_dose"
    if "waiting" in statuses or score_status != "met":
        return "wait"
    return READY
