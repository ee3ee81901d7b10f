"""A stored end reason read back through the service's own template and said again in the reader's
language (`plan_end`, `_said`; `PlanEnd`: the words and whether the window wrote them)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from keel.treatment import words
from keel.treatment.end_words.days import day_words, days_words
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
from keel.web.dates import shown_days_in


@dataclass(frozen=True)
class PlanEnd:
    """A plan's end reason in the reader's words, and whether the dosing window wrote it (a dose's change
    or a hold at the window), not a prescriber."""

    text: str
    by_window: bool


def _pattern(template: str) -> re.Pattern[str]:
    """A `str.format` template ("The bottles for {days} ...") as a pattern its filled text matches."""
    pieces = re.split(r"\{(\w+)\}", template)
    seen: set[str] = set()
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            out.append(re.escape(piece))
        elif piece in seen:
            out.append(f"(?P={piece})")
        else:
            seen.add(piece)
            out.append(f"(?P<{piece}>.+?)")
    return re.compile("".join(out), re.DOTALL)


@functools.lru_cache(maxsize=1)
def _templates() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """Each end the window writes: the pattern of the service's English, what the page says, and what it
    says when every bottle named had left the clinic and was taken back ("": the same)."""
    from keel.treatment.services import take_homes
    from keel.treatment.services.doses import bottles

    return (
        (_pattern(bottles.NOT_HANDED_OUT), NOT_HANDED_OUT, NOT_HANDED_OUT_TAKEN_BACK),
        (_pattern(bottles.NOTHING_GIVEN), NOTHING_GIVEN, NOTHING_GIVEN_TAKEN_BACK),
        (_pattern(bottles.VOIDED_NOT_HANDED_OUT), VOIDED_NOT_HANDED_OUT, VOIDED_TAKEN_BACK),
        (_pattern(bottles.VOIDED_ON_SHELF), VOIDED_ON_SHELF, ""),
        (_pattern(bottles.VOIDED_HANDED_OVER), VOIDED_TAKEN_BACK, ""),  # lane fix34a
        (_pattern(bottles.TAKEN_BACK_FROM_TODAY), TAKEN_BACK_FROM_TODAY, ""),
        (_pattern(bottles.KEPT_BACK_AT_HOME), KEPT_BACK_AT_HOME, ""),
        (_pattern(bottles.ALL_BACK_FROM_TODAY), ALL_BACK_FROM_TODAY, ""),
        (_pattern(bottles.CORRECTED_BACK_AT_HOME), CORRECTED_BACK_AT_HOME, ""),
        (_pattern(bottles.CORRECTED_BACK_NONE_HOME), CORRECTED_BACK_NONE_HOME, ""),
        (_pattern(bottles.WINDOW_DOSED_END), WINDOW_DOSED_END, ""),
        (_pattern(bottles.CORRECTED_BACK_AT_HOME_VOIDED), CORRECTED_BACK_AT_HOME_VOIDED, ""),
        (_pattern(bottles.CORRECTED_BACK_NONE_HOME_VOIDED), CORRECTED_BACK_NONE_HOME_VOIDED, ""),
        (_pattern(bottles.WINDOW_VOIDED_END), WINDOW_VOIDED_END, ""),
        (_pattern(bottles.CORRECTED_BACK_AT_HOME_DOWN), CORRECTED_BACK_AT_HOME_DOWN, ""),
        (_pattern(bottles.CORRECTED_BACK_NONE_HOME_DOWN), CORRECTED_BACK_NONE_HOME_DOWN, ""),
        (_pattern(bottles.ON_SHELF_END), ON_SHELF_END, ""),
        (_pattern(bottles.KEPT_BACK_STANDS), KEPT_BACK_STANDS, ""),
        (_pattern(bottles.HOLD_THEN_VOIDED), HOLD_THEN_VOIDED, ""),
        (_pattern(take_homes.HOLD_SUSPENDS), HOLD_SUSPENDS, ""),
    )


@functools.lru_cache(maxsize=1)
def _earlier() -> tuple[str, re.Pattern[str]]:
    """Where an earlier end kept in a reason starts (the service's EARLIER_END), and its pattern."""
    from keel.treatment.services.doses import bottles

    template = bottles.EARLIER_END
    return template.split("{", 1)[0], _pattern(template)


def _part(name: str, value: str, today: date | None) -> str:
    if name == "days":
        return days_words(value, today)
    if name == "day":
        try:
            return day_words(date.fromisoformat(value), today)
        except ValueError:
            return value
    if name == "why":  # the window's reason, as a stored decision's reason is read back
        said = words.stored_reason_text({"text": value}).strip()
        # a dose check's "what next" ends its reason; no override for a day covers a bottle, and the page
        # says what comes next itself (a prescriber rewrites the order)
        then = _(NEEDS_OVERRIDE)
        if said.endswith(then):
            said = said[: -len(then)].strip()
        return said.rstrip(".")
    return value


def _all_taken_back(days: str, taken_back: frozenset[str]) -> bool:
    """Every day the service named ("2026-12-06, 2026-12-07") is among the bottles taken back."""
    named = {part.strip() for part in days.split(",") if part.strip()}
    return bool(named) and named <= taken_back


def _said(
    text: str, today: date | None, taken_back: frozenset[str], past: date | None = None
) -> tuple[str, bool]:
    """A stored end reason in the reader's words, and whether the window wrote it. `past`: the day of a
    "nothing given" end read on a later day (lane end28: its "today's dose ... a dose given later today"
    is no longer true then; it is said as the end of that day's dose voided or corrected to 0 mg)."""
    start, earlier = _earlier()
    head, tail = text, ""
    if start and start in text:
        at = text.index(start)
        head, tail = text[:at], text[at:]
    said = head
    by_window = False
    for pattern, template, if_taken_back in _templates():
        found = pattern.fullmatch(head)
        if found is not None:
            values = {k: _part(k, v, today) for k, v in found.groupdict().items()}
            if past is not None and template == NOTHING_GIVEN:
                template, if_taken_back = VOIDED_NOT_HANDED_OUT, VOIDED_TAKEN_BACK
                values["day"] = _part("day", past.isoformat(), today)
            if if_taken_back and _all_taken_back(found["days"], taken_back):
                template = if_taken_back
            try:
                said, by_window = _(template) % values, True
            except (KeyError, TypeError, ValueError):  # a translation with a broken part: the English
                said = head
            break
    if tail:
        found = earlier.fullmatch(tail)
        if found is None:  # lane fix30d (review 30d hole 2): a prescriber's end keeps the earlier one too
            return f"{said}{tail}", by_window
        reason, _window = _said(found["reason"], today, taken_back)
        day = _part("day", found["day"], today)
        said = f"{said} {_(EARLIER_END) % {'day': day, 'reason': reason}}"
    return said, by_window


# merge24b: the stored end kinds (`TakeHomePlan.end_kind`, lane bot24) the dosing window writes
WINDOW_KINDS = frozenset(
    {
        "kept_back",
        "nothing_given",
        "voided",
        "taken_back",
        "hold",
        "after_earlier_end",
        "corrected_back",
        "window_dosed",
    }
)


def plan_end(
    end_reason: str,
    today: date | None = None,
    taken_back: Iterable[str] = (),
    kind: str = "",
    ended_on: date | None = None,
) -> PlanEnd:
    """A plan's stored end reason in the reader's language (`_said`); `today`: the reader's day, for the
    year of a day not in it; `taken_back`: the plan's bottles taken back (`TakeHomePlan.bottles_taken_back`,
    ISO days), which tell a run that left the clinic from one that never did. `kind`: the plan's stored end
    kind (`TakeHomePlan.end_kind`), which answers whether the window ended it where it is stored ("": a
    plan ended before it was kept, read from the reason's words as before); the words themselves are the
    reason's, said again. `ended_on`: the plan's last covered day; lane end28, a "nothing given" end
    (`kind` "nothing_given") read after its day says that day's dose was voided or corrected to 0 mg, never
    "today's dose" nor "a dose given later today"."""
    past = ended_on if kind == "nothing_given" and ended_on and today and ended_on < today else None
    text, by_window = _said(end_reason or "", today, frozenset(taken_back), past)
    if kind:
        by_window = kind in WINDOW_KINDS
    # lane words33: a day its templates did not say (a typed reason, an older wording) as the reader's too
    # lane words34: in the plan's own style ("Sun, Dec 6"), as its other days
    return PlanEnd(text=shown_days_in(text, near=today), by_window=by_window)
