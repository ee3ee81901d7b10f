"""How a take-home plan ended, in the reader's words (lane words24).

A plan the dosing window ended (its bottles not handed out, taken back, or stopped by a dose held) keeps its
end reason in English, as the service wrote it (`services.doses.bottles`: NOT_HANDED_OUT, NOTHING_GIVEN,
VOIDED_NOT_HANDED_OUT, VOIDED_ON_SHELF, TAKEN_BACK_FROM_TODAY, KEPT_BACK_AT_HOME, ALL_BACK_FROM_TODAY,
CORRECTED_BACK_AT_HOME, CORRECTED_BACK_NONE_HOME, their `_VOIDED` and `_DOWN` twins, WINDOW_DOSED_END,
WINDOW_VOIDED_END, EARLIER_END; `services.take_homes.HOLD_SUSPENDS`), with ISO
dates in it. The medication page showed it as stored: English on a Spanish page, "2026-12-06, 2026-12-07" to
read, and "Ended early ... (by <the nurse>)" as though the nurse had ended it. Here the stored text is read
back through the service's own template (its parts: days, a day, mg, the window's reason) and said again in
the reader's language, each day as a person reads it ("Sun, Dec 6"). A reason the templates do not match (a
prescriber's own words, an older wording) is shown as it was written. Lane take31: a package
(`templates`, `days`, `reading`), the same names exported here."""

from __future__ import annotations

from keel.treatment.end_words.days import day_words, days_words
from keel.treatment.end_words.reading import WINDOW_KINDS, PlanEnd, _pattern, _said, plan_end
from keel.treatment.end_words.templates import (
    ALL_BACK_FROM_TODAY,
    CORRECTED_BACK_AT_HOME,
    CORRECTED_BACK_AT_HOME_DOWN,
    CORRECTED_BACK_AT_HOME_VOIDED,
    CORRECTED_BACK_NONE_HOME,
    CORRECTED_BACK_NONE_HOME_DOWN,
    CORRECTED_BACK_NONE_HOME_VOIDED,
    EARLIER_END,
    HOLD_SUSPENDS,
    HOLD_THEN_VOIDED,
    KEPT_BACK_AT_HOME,
    KEPT_BACK_STANDS,
    NEEDS_OVERRIDE,
    NOT_HANDED_OUT,
    NOT_HANDED_OUT_TAKEN_BACK,
    NOTHING_GIVEN,
    NOTHING_GIVEN_TAKEN_BACK,
    ON_SHELF_END,
    TAKEN_BACK_FROM_TODAY,
    VOIDED_NOT_HANDED_OUT,
    VOIDED_ON_SHELF,
    VOIDED_TAKEN_BACK,
    WINDOW_DOSED_END,
    WINDOW_VOIDED_END,
)

__all__ = [
    "ALL_BACK_FROM_TODAY",
    "CORRECTED_BACK_AT_HOME",
    "CORRECTED_BACK_AT_HOME_DOWN",
    "CORRECTED_BACK_AT_HOME_VOIDED",
    "CORRECTED_BACK_NONE_HOME",
    "CORRECTED_BACK_NONE_HOME_DOWN",
    "CORRECTED_BACK_NONE_HOME_VOIDED",
    "EARLIER_END",
    "HOLD_SUSPENDS",
    "HOLD_THEN_VOIDED",
    "KEPT_BACK_AT_HOME",
    "KEPT_BACK_STANDS",
    "NEEDS_OVERRIDE",
    "NOTHING_GIVEN",
    "NOTHING_GIVEN_TAKEN_BACK",
    "NOT_HANDED_OUT",
    "NOT_HANDED_OUT_TAKEN_BACK",
    "ON_SHELF_END",
    "TAKEN_BACK_FROM_TODAY",
    "VOIDED_NOT_HANDED_OUT",
    "VOIDED_ON_SHELF",
    "VOIDED_TAKEN_BACK",
    "WINDOW_DOSED_END",
    "WINDOW_KINDS",
    "WINDOW_VOIDED_END",
    "PlanEnd",
    "_pattern",
    "_said",
    "day_words",
    "days_words",
    "plan_end",
]
