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
prescriber's own words, an older wording) is shown as it was written."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from keel.core.words import gettext_noop as N_
from keel.treatment import words

# What the page says for each end the window writes (the service's English keeps what the record says; these
# say it plainly). Each names the same parts as the service's template.
NOT_HANDED_OUT = N_(
    "The bottles for %(days)s were not handed out: the window would not give %(mg)s mg today (%(why)s). "
    "The person doses at the window until a prescriber rewrites the order and decides take-home doses again."
)
NOTHING_GIVEN = N_(
    "The bottles for %(days)s were not handed out: today's dose was corrected to 0 mg or voided. A dose "
    "given later today hands them out; if none is, the person doses at the window until a prescriber "
    "decides take-home doses again."
)
VOIDED_NOT_HANDED_OUT = N_(
    "The bottles for %(days)s were not handed out: the dose of %(day)s they were to go home with was voided "
    "or corrected to 0 mg. The person doses at the window until a prescriber decides take-home doses again."
)
# Lane fix29c (review 29c hole 4): the same end when every bottle named was brought back (on the shelf).
VOIDED_ON_SHELF = N_(
    "The bottles for %(days)s were brought back and stay at the clinic: the dose of %(day)s they went home "
    "with was later voided or corrected to 0 mg. The person doses at the window until a prescriber decides "
    "take-home doses again."
)
# merge24b: lane fix24b's words for the take-back from today (the bottles named are at home until brought
# back: call the person back) and for the same end when every one of them was brought back already.
TAKEN_BACK_FROM_TODAY = N_(
    "The bottles for %(days)s were handed over and are still at home until brought back: call the person "
    "back to bring them in. The dose of %(day)s they went home with was corrected, and after it the window "
    "would not give %(mg)s mg (%(why)s). The bottles for the days before stand. The person doses at the "
    "window until a prescriber rewrites the order and decides take-home doses again."
)
# Lane bot25 (review 24c hole 2): a keep back after the run's bottles had been handed out with the dose now
# corrected down: still at home, call the person back.
KEPT_BACK_AT_HOME = N_(
    "The bottles for %(days)s were handed over and are still at home until brought back: call the person "
    "back to bring them in. The dose of %(day)s they went home with was corrected, and after it the window "
    "would not give %(mg)s mg (%(why)s). The person doses at the window until a prescriber rewrites the "
    "order and decides take-home doses again."
)
ALL_BACK_FROM_TODAY = N_(
    "The bottles for %(days)s were brought back: the dose of %(day)s they went home with was corrected, and "
    "after it the window would not give %(mg)s mg (%(why)s). The bottles for the days before stand. The "
    "person doses at the window until a prescriber rewrites the order and decides take-home doses again."
)
# The same ends when the record shows the bottles had left the clinic and were taken back (the plan's
# `bottles_taken_back` holds every one of their days): the service's words say "not handed out", yet they may
# be in the person's hands (a dose corrected down), or never have left (a dose recorded in error): whoever
# reads the plan later must know to ask for them.
NOT_HANDED_OUT_TAKEN_BACK = N_(
    "The bottles for %(days)s, recorded as handed out, were taken back: after the dose was corrected the "
    "window would not give %(mg)s mg today (%(why)s). If the person has them, call them to bring them back. "
    "The person doses at the window until a prescriber rewrites the order and decides take-home doses again."
)
NOTHING_GIVEN_TAKEN_BACK = N_(
    "The bottles for %(days)s, recorded as handed out, were taken back: today's dose was corrected to 0 mg "
    "or voided. If the person has them, call them to bring them back. A dose given later today hands them "
    "out again; if none is, the person doses at the window until a prescriber decides take-home doses again."
)
VOIDED_TAKEN_BACK = N_(
    "The bottles for %(days)s, recorded as handed out, were taken back: the dose of %(day)s they were to go "
    "home with was voided or corrected to 0 mg. If the person has them, call them to bring them back. The "
    "person doses at the window until a prescriber decides take-home doses again."
)
# Lane end28: a "nothing given" end of an earlier day whose dose was later corrected back up: the end stands,
# the bottles may be at home (or none is: brought back, or their days past).
CORRECTED_BACK_AT_HOME = N_(
    "The bottles for %(days)s may be at home: the dose of %(day)s they were to go home with was corrected to "
    "0 mg and later back to %(mg)s mg. Call the person back to bring them in, or record them brought back. "
    "The person doses at the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME = N_(
    "The bottles for %(days)s are not at home (brought back, or their days are past): the dose of %(day)s "
    "they were to go home with was corrected to 0 mg and later back to %(mg)s mg. The person doses at the "
    "window until a prescriber decides take-home doses again."
)
# Lane fix28c (review 28c holes 2, 3, 5): the same after a void (not a correction to 0 mg).
CORRECTED_BACK_AT_HOME_VOIDED = N_(
    "The bottles for %(days)s may be at home: the dose of %(day)s they were to go home with was voided and "
    "later corrected back to %(mg)s mg. Call the person back to bring them in, or record them brought back. "
    "The person doses at the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME_VOIDED = N_(
    "The bottles for %(days)s are not at home (brought back, or their days are past): the dose of %(day)s "
    "they were to go home with was voided and later corrected back to %(mg)s mg. The person doses at the "
    "window until a prescriber decides take-home doses again."
)
# Lane fix29c (review 29c hole 3): the same after a correction down (a keep back), a hold since keeping it.
CORRECTED_BACK_AT_HOME_DOWN = N_(
    "The bottles for %(days)s may be at home: the dose of %(day)s they were to go home with was corrected "
    "down and later back up to %(mg)s mg. Call the person back to bring them in, or record them brought "
    "back. The person doses at the window until a prescriber decides take-home doses again."
)
CORRECTED_BACK_NONE_HOME_DOWN = N_(
    "The bottles for %(days)s are not at home (brought back, or their days are past): the dose of %(day)s "
    "they were to go home with was corrected down and later back up to %(mg)s mg. The person doses at the "
    "window until a prescriber decides take-home doses again."
)
# Lane fix28c (review 28c hole 4): the window dose that ended the plan no longer stands; the plan stays ended.
WINDOW_VOIDED_END = N_(
    "The bottles for %(days)s are no longer take-home doses: the plan ended before %(day)s, when a dose was "
    "recorded at the window that day, and that dose was later voided or corrected to 0 mg. The plan stays "
    "ended: call the person back to bring in any still at home, or record them brought back. The person "
    "doses at the window until a prescriber decides take-home doses again."
)
# Lane fix28b: a plan ended before a day on which a dose was given at the window (no day dosed at the window
# is a take-home day again), and a same-day end while a bottle of the run is on the shelf.
WINDOW_DOSED_END = N_(
    "The bottles for %(days)s are no longer take-home doses: a dose was given at the window on %(day)s, "
    "after the bottles went home. Call the person back to bring in any still at home. The person doses at "
    "the window until a prescriber decides take-home doses again."
)
ON_SHELF_END = N_(
    "The bottles for %(days)s were brought back and stay at the clinic, so the run that went home with the "
    "dose of %(day)s does not go on, though that dose stands. The person doses at the window until a "
    "prescriber decides take-home doses again."
)
HOLD_SUSPENDS = N_(
    "A dose was held on %(day)s (sedated or intoxicated): the bottles for the days after it stop until a "
    "prescriber decides take-home doses again."
)
EARLIER_END = N_("Before that, the plan had been ended from %(day)s on: %(reason)s")


# The dose check's next step (`keel.core.rules.methadone._Limits.over`), which a bottle's reason carries.
NEEDS_OVERRIDE = N_("Needs a prescriber's override for today, with a reason.")


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
        (_pattern(take_homes.HOLD_SUSPENDS), HOLD_SUSPENDS, ""),
    )


@functools.lru_cache(maxsize=1)
def _earlier() -> tuple[str, re.Pattern[str]]:
    """Where an earlier end kept in a reason starts (the service's EARLIER_END), and its pattern."""
    from keel.treatment.services.doses import bottles

    template = bottles.EARLIER_END
    return template.split("{", 1)[0], _pattern(template)


def day_words(day: date, today: date | None = None) -> str:
    """A day as a person reads it in a sentence: its weekday, month and day ("Sun, Dec 6"; "dom 6 dic"),
    with the year when it is not this year's."""
    if today is not None and day.year != today.year:
        return formats.date_format(day, pgettext("a day in a sentence, with its year", "D, M j, Y"))
    return formats.date_format(day, pgettext("a day in a sentence", "D, M j"))


def days_words(text: str, today: date | None = None) -> str:
    """ISO days as the service lists them ("2026-12-06, 2026-12-07") said as a person reads them: each run
    of days in a row as its first and last ("Sun, Dec 6 to Tue, Dec 8"), two in a row joined by "and".
    Text that is not a list of days is kept as it is."""
    try:
        days = sorted({date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()})
    except ValueError:
        return text
    if not days:
        return text
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return "; ".join(_run_words(run, today) for run in runs)


def _run_words(run: list[date], today: date | None) -> str:
    """Lane fix31a (review 31a hole 5): one run of days in a row as a sentence names it after its own
    preposition ("The bottles for %(days)s"; "Los frascos del %(days)s"): one day, two joined by "and", or
    the first and the last with no article of its own ("Sun, Dec 6 to Wed, Dec 9"; "dom 6 dic al mié 9
    dic"), so the Spanish sentence's "del" is said once (the shared "%(first)s to %(last)s", "del ... al
    ...", stands alone in a list of bottles and is not used here)."""
    first, last = day_words(run[0], today), day_words(run[-1], today)
    if len(run) == 1:
        return first
    if len(run) == 2:
        return _("%(first)s and %(last)s") % {"first": first, "last": last}
    return pgettext("a run of days after the sentence's preposition", "%(first)s to %(last)s") % {
        "first": first,
        "last": last,
    }


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
    return PlanEnd(text=text, by_window=by_window)
