"""Early warning for the care team, from a series of daily check-ins and screens (issue #7).

The thresholds are Keel's product rules, stated in issue #7, not clinical figures: reported use; craving >= 7
on 3 of the last 5 check-ins; medication missed 2 days running; no check-in for 3 days after a daily habit;
PHQ-9 item 9 above 0 or a positive suicide screen (immediate, highest priority); three days of worsening mood.
Each is a policy value with that default. Mood runs 1 (worst) to 5 (best).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TypedDict, cast

from keel.core.decision import Decision, Reason, SaidDict
from keel.core.rules.base import Rule
from keel.core.rules.inputs import Field, FieldError, FieldValue, InvalidInput, check_fields, json_schema
from keel.core.words import gettext_noop as N_

CHECKIN = (
    Field("date", "date"),
    Field("craving", "integer", minimum=0, maximum=10),
    Field("mood", "integer", minimum=1, maximum=5, help="1 = worst, 5 = best"),
    Field("used", "bool", required=False, default=False),
    Field(
        "medication",
        "choice",
        required=False,
        default="not_on_medication",
        choices=("taken", "missed", "not_on_medication"),
    ),
)
SCREEN = (
    Field("date", "date"),
    Field("kind", "choice", choices=("phq9_item9", "cssrs")),
    Field("positive", "bool"),
)
POLICY = (
    Field(
        "craving_high_at",
        "integer",
        required=False,
        default=7,
        minimum=0,
        maximum=10,
        help="issue #7 rule, default 7",
    ),
    Field(
        "craving_high_needed",
        "integer",
        required=False,
        default=3,
        minimum=1,
        help="issue #7 rule: 3 of the last 5",
    ),
    Field(
        "craving_window",
        "integer",
        required=False,
        default=5,
        minimum=1,
        help="issue #7 rule: the last 5 check-ins",
    ),
    Field(
        "missed_in_a_row",
        "integer",
        required=False,
        default=2,
        minimum=1,
        help="issue #7 rule: 2 days running",
    ),
    Field(
        "silent_days",
        "integer",
        required=False,
        default=3,
        minimum=1,
        help="issue #7 rule: 3 days without a check-in",
    ),
    Field(
        "habit_days",
        "integer",
        required=False,
        default=5,
        minimum=1,
        maximum=7,
        help="Keel convention: a daily habit is check-ins on 5 of the 7 days before the silence",
    ),
    Field(
        "worsening_mood_days", "integer", required=False, default=3, minimum=2, help="issue #7 rule: 3 days"
    ),
    Field(
        "screen_recent_days",
        "integer",
        required=False,
        default=7,
        minimum=0,
        help="Keel convention: positive screens from the last 7 days raise the flag",
    ),
)
SOURCES = ("keel-issue-7",)
PRIORITY = {
    "suicide_risk": 0,
    "reported_use": 1,
    "rising_craving": 2,
    "missed_medication": 2,
    "worsening_mood": 2,
    "silence": 3,
}


_Day = date  # a check-in's or a screen's `date` key names its type by this alias


class Checkin(TypedDict):
    """One check-in as the rule reads it (CHECKIN; parsed, used and medication not given: their defaults)."""

    date: _Day
    craving: int
    mood: int
    used: bool
    medication: str


class Screen(TypedDict):
    """One screen as the rule reads it (SCREEN)."""

    date: _Day
    kind: str
    positive: bool


class Policy(TypedDict):
    """POLICY's values."""

    craving_high_at: int
    craving_high_needed: int
    craving_window: int
    missed_in_a_row: int
    silent_days: int
    habit_days: int
    worsening_mood_days: int
    screen_recent_days: int


class RaisedFlag(TypedDict):
    """One flag raised: its code, its priority (1 first), its reason in English and as a template."""

    code: str
    priority: int
    reason: str
    said: SaidDict


class Details(TypedDict):
    """The decision's other outputs: each flag raised (code, priority, reason, its words), highest priority
    first; a flag is stored as it is, as the JSON of the flag's row."""

    flags: list[RaisedFlag]


class Input(TypedDict):
    """The rule's input as `_parse_input` checks it."""

    today: date
    checkins: list[Checkin]
    screens: list[Screen]


def default_policy() -> Policy:
    """POLICY's defaults (the values the recovery app runs the rule with)."""
    return cast(Policy, {f.name: f.default for f in POLICY})


def _parse_list(raw: object, fields: tuple[Field, ...], name: str) -> list[dict[str, FieldValue]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidInput([FieldError(name, N_("must be a list"))])
    out: list[dict[str, FieldValue]] = []
    errors: list[FieldError] = []
    for i, item in enumerate(raw):
        try:
            out.append(check_fields(fields, item, prefix=f"{name}[{i}]."))
        except InvalidInput as exc:
            errors += exc.errors
    if errors:
        raise InvalidInput(errors)
    return out


_MEDICATION_ORDER = ("missed", "taken", "not_on_medication")  # the first that any check-in of the day says


def merge_day(same_day: list[Checkin]) -> Checkin:
    """Two or more check-ins on one date, as one (Keel's explicit rule, so nothing reported is dropped): use
    if any says use, the highest craving, the worst (lowest) mood, and "missed" if any says a dose was missed."""
    merged = same_day[0].copy()
    merged["used"] = any(c.get("used") for c in same_day)
    merged["craving"] = max(c["craving"] for c in same_day)
    merged["mood"] = min(c["mood"] for c in same_day)
    said = {c.get("medication", "not_on_medication") for c in same_day}
    merged["medication"] = next(m for m in _MEDICATION_ORDER if m in said)
    return merged


Flag = tuple[str, Reason]  # (code, the reason it is raised)
ByDay = dict[date, Checkin]  # the check-ins, one per date (merge_day)


def _by_day(checkins: list[Checkin]) -> ByDay:
    """The check-ins, one per date (merge_day joins two or more on one date)."""
    grouped: dict[date, list[Checkin]] = {}
    for c in checkins:
        grouped.setdefault(c["date"], []).append(c)
    return {d: merge_day(cs) for d, cs in grouped.items()}


def _suicide_risk(today: date, screens: list[Screen], p: Policy) -> Flag | None:
    """A positive screen from the last screen_recent_days days; the reason names which screens said so."""
    recent = [
        s for s in screens if s["positive"] and 0 <= (today - s["date"]).days <= p["screen_recent_days"]
    ]
    if not recent:
        return None
    said = {s["kind"] for s in recent}
    template = (
        N_("PHQ-9 question 9 above 0 and a positive C-SSRS screen: reach out today (highest priority).")
        if said == {"phq9_item9", "cssrs"}
        else N_("PHQ-9 question 9 above 0: reach out today (highest priority).")
        if said == {"phq9_item9"}
        else N_("A positive C-SSRS screen: reach out today (highest priority).")
    )
    return ("suicide_risk", Reason.said(template, ("keel-issue-7", "keel-conflict-16")))


def _reported_use(by_day: ByDay, days: list[date]) -> Flag | None:
    """Use reported in the latest check-in."""
    if not (days and by_day[days[-1]]["used"]):
        return None
    return (
        "reported_use",
        Reason.said(
            N_(
                "Use reported in the check-in of %(day)s: offer support, naloxone and a safety plan, "
                "never blame."
            ),
            SOURCES,
            day=days[-1].isoformat(),
        ),
    )


def _rising_craving(by_day: ByDay, days: list[date], p: Policy) -> Flag | None:
    """Craving at or above craving_high_at on craving_high_needed of the last craving_window check-ins."""
    window = [by_day[d] for d in days[-p["craving_window"] :]]
    high = [c for c in window if c["craving"] >= p["craving_high_at"]]
    if len(high) < p["craving_high_needed"]:
        return None
    return (
        "rising_craving",
        Reason.said(
            N_("Craving %(at)s or more on %(high)s of the last %(window)s check-ins."),
            SOURCES,
            at=p["craving_high_at"],
            high=len(high),
            window=len(window),
        ),
    )


def _missed_medication(by_day: ByDay, days: list[date], p: Policy) -> Flag | None:
    """The latest check-ins say "missed" on missed_in_a_row days in a row (a gap in the dates ends the run)."""
    run, prev = 0, None
    for d in reversed(days):
        if by_day[d]["medication"] != "missed" or (prev is not None and (prev - d).days != 1):
            break
        run, prev = run + 1, d
    if run < p["missed_in_a_row"]:
        return None
    return ("missed_medication", Reason.said(N_("Medication missed %(run)s days running."), SOURCES, run=run))


def _silence(today: date, days: list[date], p: Policy) -> Flag | None:
    """No check-in for silent_days days after a daily habit: habit_days check-ins in the 7 days up to the last."""
    if not days:
        return None
    last = days[-1]
    silent = (today - last).days
    habit_window = [d for d in days if 0 <= (last - d).days < 7]
    if not (silent >= p["silent_days"] and len(habit_window) >= p["habit_days"]):
        return None
    return (
        "silence",
        Reason.said(
            N_("No check-in for %(silent)s days after checking in on %(habit)s of 7 days."),
            SOURCES,
            silent=silent,
            habit=len(habit_window),
        ),
    )


def _worsening_mood(by_day: ByDay, days: list[date], p: Policy) -> Flag | None:
    """Worse each day for N days: N days each worse than the day before, so N + 1 check-ins on days in a row."""
    worse_days = 0
    for earlier, later in zip(reversed(days[:-1]), reversed(days[1:]), strict=False):
        if (later - earlier).days != 1 or by_day[earlier]["mood"] <= by_day[later]["mood"]:
            break
        worse_days += 1
    if worse_days < p["worsening_mood_days"]:
        return None
    return (
        "worsening_mood",
        Reason.said(N_("Mood worse each day for %(days)s days."), SOURCES, days=worse_days),
    )


def evaluate(
    today: date, checkins: list[Checkin], screens: list[Screen], p: Policy
) -> Decision[Policy, Details]:
    """Every flag the series raises, highest priority first (the sort is stable: equal priorities keep the order
    below), or "none" with one reason saying so."""
    by_day = _by_day(checkins)
    days = sorted(by_day)
    found = (
        _suicide_risk(today, screens, p),
        _reported_use(by_day, days),
        _rising_craving(by_day, days, p),
        _missed_medication(by_day, days, p),
        _silence(today, days, p),
        _worsening_mood(by_day, days, p),
    )
    flags = [flag for flag in found if flag is not None]
    flags.sort(key=lambda f: PRIORITY[f[0]])
    reasons = tuple(reason for _, reason in flags) or (
        Reason.said(N_("No early-warning signs in this series."), SOURCES),
    )
    details: Details = {
        "flags": [
            {
                "code": code,
                "priority": PRIORITY[code],
                "reason": reason.text,
                "said": {"template": reason.template, "params": dict(reason.params)},
            }
            for code, reason in flags
        ]
    }
    return Decision("early-warning", "1", "flags" if flags else "none", reasons, p.copy(), details)


def _after(item: Mapping[str, FieldValue], today: date) -> bool:
    """Whether a check-in's or a screen's date (a date field: always a date) is after today."""
    day = item["date"]
    return isinstance(day, date) and day > today


def _parse_input(raw: Mapping[str, object]) -> Input:
    """today, checkins and screens, every problem named (e.g. checkins[2].craving)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput([FieldError("input", N_("must be a JSON object"))])
    errors = [
        FieldError(k, N_("not an input of this rule"))
        for k in raw
        if k not in {"today", "checkins", "screens"}
    ]
    today: FieldValue = None
    lists: dict[str, list[dict[str, FieldValue]]] = {"checkins": [], "screens": []}
    try:
        today = check_fields((Field("today", "date"),), {"today": raw.get("today")})["today"]
    except InvalidInput as exc:
        errors += exc.errors
    for name, fields in (("checkins", CHECKIN), ("screens", SCREEN)):
        try:
            lists[name] = _parse_list(raw.get(name), fields, name)
        except InvalidInput as exc:
            errors += exc.errors
    if isinstance(today, date):
        errors += [
            FieldError(f"{name}[{i}].date", N_("is after today"))
            for name in ("checkins", "screens")
            for i, c in enumerate(lists[name])
            if _after(c, today)
        ]
    if errors:
        raise InvalidInput(errors)
    return cast(Input, {"today": today, **lists})  # CHECKIN and SCREEN checked, each of its field's kind


def _evaluate(v: Input, p: Policy) -> Decision[Policy, Details]:
    return evaluate(v["today"], v["checkins"], v["screens"], p)


EARLY_WARNING: Rule[Input, Policy, Details] = Rule(
    "early-warning",
    "1",
    "Which early-warning flags does this series raise?",
    (),
    POLICY,
    _evaluate,
    parse_input=_parse_input,
    input_schema={
        "type": "object",
        "required": ["today"],
        "additionalProperties": False,
        "properties": {
            "today": {"type": "string", "format": "date"},
            "checkins": {"type": "array", "items": json_schema(CHECKIN)},
            "screens": {"type": "array", "items": json_schema(SCREEN)},
        },
    },
)
