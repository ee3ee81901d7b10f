"""A second opioid agonist the same day (review 19a): methadone and buprenorphine given on one day at the window
is a switch between them, a prescriber's decision for that day, never a dose that passes as "within the
program's limits". One rule for both directions:

- buprenorphine after methadone: the buprenorphine start gate (`keel.core.induction`: methadone taken since the
  last buprenorphine dose starts an induction again; the readiness verdict or a prescriber's start override
  for the day; precipitated withdrawal, reference 9.6). This module adds nothing to it;
- methadone after buprenorphine: needs a prescriber's switch override for the day (kind "switch"), here.
  Methadone alongside a low-dose buprenorphine start is the method (Hammig 2016): it passes, whether the
  start's steps are given here (saying so: `planned_steps`, lane fix38a) or its order was filled at a
  pharmacy (on its schedule's days: `low_dose_fill_day`, lane fix37c, saying so: `planned_overlap`); on a
  switch override it says so (`switch_covered`).

Both directions read times, not calendar days (review 22m: buprenorphine at 23:30 and methadone at 00:30 are
an hour apart, whatever the program's day or zone): the start gate reads methadone taken since the last
buprenorphine dose; here, buprenorphine taken within the program's hours of the methadone dose
(`within_switch_hours`). Those hours are program policy, `methadone-dose-check`'s `switch_hours` (default 24,
Keel's bounds 12-72 in `keel.core.rules.policy.LIMITS`): no clinical source gives a figure (lane policy22).

An opioid agonist during an XR-naltrexone injection's blockade (review 36f hole 3): methadone or
buprenorphine within the injection's dosing interval (`naltrexone.INTERVAL_DAYS`, the "next due" the
injection names) is held as the switch above is: a prescriber's switch override for the day, with the reason.
The agonist is blocked (attempts to overcome the blockade risk a fatal overdose) and, as it wears off,
tolerance is lower (Vivitrol label warnings; `naltrexone_blockade`).

Plain Python: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from keel.core.decision import Decision, Reason
from keel.core.rules.base import NoPolicy
from keel.core.rules.naltrexone import INTERVAL_DAYS, LABEL_SOURCES
from keel.core.rules.policy import LIMITS
from keel.core.words import gettext_noop

RULE = "second-agonist-same-day"
VERSION = "1"
NEEDS_OVERRIDE = "needs_override"
METHADONE, BUPRENORPHINE = "methadone", "buprenorphine"
SOURCES = ("keel-one-agonist-a-day", "reference-9.6", "hammig-2016")
SWITCH_FIELD = "switch_hours"  # methadone-dose-check's policy value: the hours of "one opioid agonist a day"
_CEILING = LIMITS[("methadone-dose-check", SWITCH_FIELD)].ceiling or 0
# The calendar days a dose context reads other medications' doses back (today minus these, on): from that day's
# midnight to today's there are at least the ceiling's hours even when one of those days is the spring clock
# change's 23 hours, so methadone at 00:01 sees buprenorphine given up to the ceiling's hours before it.
SWITCH_LOOKBACK_DAYS = math.ceil((_CEILING + 1) / 24)


HERE = gettext_noop(
    "Buprenorphine was given here less than %(hours)s hours ago. Methadone now is a second opioid "
    "agonist within those hours: a switch that a prescriber decides (watch for sedation as the two add "
    "up). No methadone until a prescriber records a switch override for today, with the reason."
)
ELSEWHERE = gettext_noop(
    "Buprenorphine was taken less than %(hours)s hours ago (in hand from a pharmacy fill, or a reported use). "
    "Methadone now is a second opioid agonist within those hours: a switch that a prescriber decides (watch "
    "for sedation as the two add up). No methadone until a prescriber records a switch override for today, "
    "with the reason."
)

# Lane fix36j (re-attack 36j item 3): buprenorphine listed with its time not known (an intake without a
# time, a struck time) counts as within the hours: the switch override is needed.
UNKNOWN_TIME = gettext_noop(
    "Buprenorphine is on this person's record, and the time of the last buprenorphine is not known: it may be "
    "less than %(hours)s hours ago. Methadone now may be a second opioid agonist within those hours: a switch "
    "that a prescriber decides (watch for sedation as the two add up). No methadone until a prescriber records "
    "a switch override for today, with the reason, or the time of the last use is recorded."
)

# Lane fix37c item 3: methadone given on a prescriber's switch override for today says so on the dose, beside
# the blockade's words when the same override covers both.
SWITCH_COVERED = gettext_noop(
    "Buprenorphine was taken less than %(hours)s hours ago: a prescriber recorded a switch override for today, "
    "with the reason (logged). Watch for sedation as the two add up."
)
# Lane fix37c item 1 (36l-3): buprenorphine in hand from a pharmacy fill of the low-dose start's own order is
# the overlap the order plans (Hammig 2016: the full agonist continues while buprenorphine rises in small
# steps); methadone alongside it passes, saying so.
LOW_DOSE_FILL = gettext_noop(
    "Buprenorphine is in hand from a pharmacy fill of the person's low-dose start (day %(day)s of its "
    "%(days)s-day schedule): methadone alongside the low-dose schedule is the planned overlap. Watch for "
    "sedation as the two add up."
)
LOW_DOSE_SOURCES = ("hammig-2016", "keel-one-agonist-a-day")
# Lane fix38a item 2: the sibling of LOW_DOSE_FILL for the start's steps given here (the window's own doses).
LOW_DOSE_STEPS = gettext_noop(
    "Buprenorphine was given here as step %(step)s of the person's %(days)s-step low-dose start: methadone "
    "alongside the low-dose schedule is the planned overlap. Watch for sedation as the two add up."
)


# Session 38: the wordings above before they named no pronoun for the person ("her"); decisions stored in them
# are still read back in the reader's language (`web.stored_words`), so they stay marked.
EARLIER_WORDINGS = (
    gettext_noop(
        "She has used buprenorphine, and the time of her last buprenorphine is not known: it may be less than "
        "%(hours)s hours ago. Methadone now may be a second opioid agonist within those hours: a switch that a "
        "prescriber decides (watch for sedation as the two add up). No methadone until a prescriber records a "
        "switch override for today, with the reason, or the time of her last use is recorded."
    ),
    gettext_noop(
        "Buprenorphine is in hand from a pharmacy fill of her low-dose start (day %(day)s of its %(days)s-day "
        "schedule): methadone alongside the low-dose schedule is the planned overlap. Watch for sedation as the "
        "two add up."
    ),
    gettext_noop(
        "Buprenorphine was given here as step %(step)s of her %(days)s-step low-dose start: methadone alongside "
        "the low-dose schedule is the planned overlap. Watch for sedation as the two add up."
    ),
)


def within_switch_hours(taken_at: datetime, at: datetime, *, hours: float) -> bool:
    """Whether an agonist taken at `taken_at` is within `hours` (the program's `switch_hours`) of a dose at
    `at` (aware times, so the program's zone and its calendar day do not enter: review 22m)."""
    return abs(at - taken_at) < timedelta(hours=hours)


def second_agonist(
    medication: str,
    taken_today: Iterable[str],
    *,
    low_dose_start: bool,
    documented: bool,
    hours: float,
    given_here: bool = True,
    time_unknown: bool = False,
) -> Decision[NoPolicy] | None:
    """Whether a dose of `medication` now is a second opioid agonist today without a prescriber's decision:
    a "needs_override" decision (its reason in words, its sources), else None. `taken_today`: the other
    medications given at the window within `hours` (the program's `switch_hours`, `within_switch_hours`) and
    taken (not voided or corrected to 0 mg), `hours` said in the reason; `low_dose_start`:
    that buprenorphine was a low-dose start's step (methadone alongside it is the method); `documented`: a
    prescriber's switch override for today. Buprenorphine after methadone is the start gate's (None here).
    `given_here` False: the buprenorphine within the hours is not a dose given here but one in hand from a
    pharmacy fill, or a reported use (review 36f hole 2: the readiness's one reading of the last use);
    `time_unknown`: and its time is not known (lane fix36j: counted as within the hours)."""
    if medication != METHADONE or BUPRENORPHINE not in set(taken_today) or low_dose_start or documented:
        return None
    words = UNKNOWN_TIME if time_unknown and not given_here else ELSEWHERE if not given_here else HERE
    reason = Reason.said(words, SOURCES, hours=hours)
    return Decision(RULE, VERSION, NEEDS_OVERRIDE, (reason,))


def switch_covered(hours: float) -> Reason:
    """Lane fix37c item 3: the reason a methadone dose given on a prescriber's switch override for today
    carries when buprenorphine was taken within `hours` (the override covers the rule; the dose says so,
    beside the blockade's words when the same override covers an XR-naltrexone blockade too)."""
    return Reason.said(SWITCH_COVERED, SOURCES, hours=hours)


def low_dose_fill_day(first_day: date, today: date, schedule_days: int) -> int | None:
    """Lane fix37c item 1 (re-attack 36l item 3): the day of a low-dose start's schedule that `today` is when
    the schedule came from a pharmacy fill of its order, counted in calendar days from `first_day` (the
    schedule's first step, given here or filled, not before its start; lane fix37h: the doses taken at home
    are not recorded, so no step can be counted by doses as at the window); None outside its
    `schedule_days` (its last step's day). Inside, the fill is the overlap the order plans (Hammig 2016:
    the full agonist continues while buprenorphine rises), not a second agonist; after it she is on the full
    dose, and methadone is a switch again."""
    day = (today - first_day).days + 1
    return day if 1 <= day <= schedule_days else None


def planned_overlap(day: int, days: int) -> Reason:
    """The reason methadone alongside a low-dose start's pharmacy fill passes (`low_dose_fill_day`)."""
    return Reason.said(LOW_DOSE_FILL, LOW_DOSE_SOURCES, day=day, days=days)


def planned_steps(step: int, days: int) -> Reason:
    """Lane fix38a item 2: the reason methadone alongside a low-dose start's step given here passes (the
    same overlap as `planned_overlap`'s fill, Hammig 2016: the rule's `low_dose_start`)."""
    return Reason.said(LOW_DOSE_STEPS, LOW_DOSE_SOURCES, step=step, days=days)


BLOCKADE_RULE = "naltrexone-blockade"
DOCUMENTED = "documented"  # the blockade's verdict with a prescriber's switch override for the day
BLOCKADE = gettext_noop(
    "XR-naltrexone was injected on %(day)s, %(days)s days ago: it blocks opioids until about %(until)s (every 4 "
    "weeks). Methadone or buprenorphine now may not work, and taking more to overcome the blockade can cause a "
    "fatal overdose; as the blockade wears off, tolerance is lower: the overdose risk is higher."
)
BLOCKADE_HELD = gettext_noop(
    "No methadone or buprenorphine during the blockade until a prescriber records a switch override for "
    "today, with the reason."
)
BLOCKADE_COVERED = gettext_noop(
    "A prescriber recorded a switch override for today, with the reason (logged): watch for sedation."
)


def naltrexone_blockade(injected_on: date, today: date, *, documented: bool) -> Decision[NoPolicy] | None:
    """An opioid agonist (methadone or buprenorphine) on `today` inside the blockade of the XR-naltrexone
    injection given on `injected_on` (its dosing interval, `INTERVAL_DAYS`, the day it names as next due): a
    "needs_override" decision (the injection's day, the blockade, the lowered tolerance; the switch override
    asked), or with a prescriber's switch override for today (`documented`) a "documented" one whose reasons
    go on the dose's verdict. None outside the blockade (from its due day on, or an injection after today)."""
    days = (today - injected_on).days
    if days < 0 or days >= INTERVAL_DAYS:
        return None
    until = injected_on + timedelta(days=INTERVAL_DAYS)
    said = Reason.said(
        BLOCKADE, LABEL_SOURCES, day=injected_on.isoformat(), days=days, until=until.isoformat()
    )
    if documented:
        return Decision(
            BLOCKADE_RULE, VERSION, DOCUMENTED, (said, Reason.said(BLOCKADE_COVERED, ("keel-policy",)))
        )
    held = Reason.said(BLOCKADE_HELD, ("keel-policy", *LABEL_SOURCES))
    return Decision(BLOCKADE_RULE, VERSION, NEEDS_OVERRIDE, (said, held))
