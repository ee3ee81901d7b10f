"""A second opioid agonist the same day (review 19a): methadone and buprenorphine given on one day at the window
is a switch between them, a prescriber's decision for that day, never a dose that passes as "within the
program's limits". One rule for both directions:

- buprenorphine after methadone: the buprenorphine start gate (`keel.core.induction`: methadone taken since the
  last buprenorphine dose starts an induction again; the readiness verdict or a prescriber's start override
  for the day; precipitated withdrawal, reference 9.6). This module adds nothing to it;
- methadone after buprenorphine: needs a prescriber's switch override for the day (kind "switch"), here.
  Methadone alongside a low-dose buprenorphine start is the method (Hammig 2016): it passes.

Both directions read times, not calendar days (review 22m: buprenorphine at 23:30 and methadone at 00:30 are
an hour apart, whatever the program's day or zone): the start gate reads methadone taken since the last
buprenorphine dose; here, buprenorphine taken within the program's hours of the methadone dose
(`within_switch_hours`). Those hours are program policy, `methadone-dose-check`'s `switch_hours` (default 24,
Keel's bounds 12-72 in `keel.core.rules.policy.LIMITS`): no clinical source gives a figure (lane policy22).

Plain Python: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from keel.core.decision import Decision, Reason
from keel.core.rules.base import NoPolicy
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


def within_switch_hours(taken_at: datetime, at: datetime, *, hours: float) -> bool:
    """Whether an agonist taken at `taken_at` is within `hours` (the program's `switch_hours`) of a dose at
    `at` (aware times, so the program's zone and its calendar day do not enter: review 22m)."""
    return abs(at - taken_at) < timedelta(hours=hours)


def second_agonist(
    medication: str, taken_today: Iterable[str], *, low_dose_start: bool, documented: bool, hours: float
) -> Decision[NoPolicy] | None:
    """Whether a dose of `medication` now is a second opioid agonist today without a prescriber's decision:
    a "needs_override" decision (its reason in words, its sources), else None. `taken_today`: the other
    medications given at the window within `hours` (the program's `switch_hours`, `within_switch_hours`) and
    taken (not voided or corrected to 0 mg), `hours` said in the reason; `low_dose_start`:
    that buprenorphine was a low-dose start's step (methadone alongside it is the method); `documented`: a
    prescriber's switch override for today. Buprenorphine after methadone is the start gate's (None here)."""
    if medication != METHADONE or BUPRENORPHINE not in set(taken_today) or low_dose_start or documented:
        return None
    reason = Reason.said(
        gettext_noop(
            "Buprenorphine was given here less than %(hours)s hours ago. Methadone now is a second opioid "
            "agonist within those hours: a switch that a prescriber decides (watch for sedation as the two add "
            "up). No methadone until a prescriber records a switch override for today, with the reason."
        ),
        SOURCES,
        hours=hours,
    )
    return Decision(RULE, VERSION, NEEDS_OVERRIDE, (reason,))
