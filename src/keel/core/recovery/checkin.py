"""A daily check-in: its fields, their limits and the checks every adapter (page, API) shares.

Mood runs 1 (worst) to 5 (best), shown as five faces with text labels. Free text (the note and "other"
triggers) is stored encrypted by the app; here it is only length-checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TypedDict, cast

from keel.core.rules.inputs import Field, FieldError, InvalidInput, parse
from keel.core.words import gettext_noop as N_

SUBSTANCES = (
    "heroin",
    "fentanyl",
    "pain_pills",
    "methadone_not_mine",
    "benzodiazepines",
    "alcohol",
    "stimulants",
    "cannabis",
    "other",
)
ROUTES = ("inject", "smoke", "snort", "swallow", "other")
MEDICATION = ("taken", "missed", "not_on_medication")
TRIGGERS = ("stress", "people", "places", "pain", "lonely", "bored", "angry", "tired", "money", "celebrating")
SLEEP = ("poor", "ok", "good")
NOTE_MAX = 2000
OTHER_MAX = 200

FIELDS = (
    Field("craving", "integer", minimum=0, maximum=10, help=N_("0 = none, 10 = the strongest")),
    Field("mood", "integer", minimum=1, maximum=5, help=N_("1 = very bad, 5 = very good")),
    Field("used", "bool", help=N_("any opioid or other drug use since the last check-in")),
    Field("used_what", "choices", required=False, default=(), choices=SUBSTANCES),
    Field("used_how", "choices", required=False, default=(), choices=ROUTES),
    Field("medication", "choice", choices=MEDICATION),
    Field("meeting", "bool", required=False, default=False, help=N_("went to a meeting")),
    Field("counseling", "bool", required=False, default=False, help=N_("went to counseling or therapy")),
    Field("triggers", "choices", required=False, default=(), choices=TRIGGERS),
    Field("trigger_other", "text", required=False, default="", maximum=OTHER_MAX),
    Field("sleep", "choice", required=False, default="", choices=("", *SLEEP)),
    Field("note", "text", required=False, default="", maximum=NOTE_MAX),
)
PRIVATE = ("note", "trigger_other")  # stored encrypted


class CheckIn(TypedDict):
    """A check-in as checked (`parse_checkin`): each of `FIELDS`, its choices as lists."""

    craving: int
    mood: int
    used: bool
    used_what: list[str]
    used_how: list[str]
    medication: str
    meeting: bool
    counseling: bool
    triggers: list[str]
    trigger_other: str
    sleep: str
    note: str


def parse_checkin(raw: Mapping[str, object]) -> CheckIn:
    """Checked values with defaults, or InvalidInput naming every bad field."""
    values = parse(FIELDS, raw)
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    if not values["used"] and (values["used_what"] or values["used_how"]):
        raise InvalidInput([FieldError("used", N_("is no, but what or how was filled in"))])
    return cast("CheckIn", values)  # each of FIELDS, checked by `parse`


def fingerprint(values: Mapping[str, object]) -> str:
    """A stable digest of checked values: the same check-in sent twice has the same fingerprint."""
    canonical = json.dumps(dict(values), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def offers(values: Mapping[str, object], *, craving_high_at: int = 7) -> tuple[str, ...]:
    """What the app offers right after this check-in: a safety message after use (never blame) and a
    thought record when craving is high (issue #7: craving 7 or more)."""
    out = []
    if values["used"]:
        out.append("safety")
    craving = values["craving"]
    if isinstance(craving, int) and craving >= craving_high_at:
        out.append("thought_record")
    return tuple(out)
