"""A second opioid agonist the same day (review 19a): methadone and buprenorphine given on one day at the window
is a switch between them, a prescriber's decision for that day, never a dose that passes as "within the
program's limits". One rule for both directions:

- buprenorphine after methadone: the buprenorphine start gate (`keel.core.induction`: methadone taken since the
  last buprenorphine dose starts an induction again; the readiness verdict or a prescriber's start override
  for the day; precipitated withdrawal, reference 9.6). This module adds nothing to it;
- methadone after buprenorphine given today: needs a prescriber's switch override for the day (kind
  "switch"), here. Methadone alongside a low-dose buprenorphine start is the method (Hammig 2016): it passes.

Plain Python: no Django.
"""

from __future__ import annotations

from collections.abc import Iterable

from keel.core.decision import Decision, Reason
from keel.core.rules.base import NoPolicy
from keel.core.words import gettext_noop

RULE = "second-agonist-same-day"
VERSION = "1"
NEEDS_OVERRIDE = "needs_override"
METHADONE, BUPRENORPHINE = "methadone", "buprenorphine"
SOURCES = ("keel-one-agonist-a-day", "reference-9.6", "hammig-2016")


def second_agonist(
    medication: str, taken_today: Iterable[str], *, low_dose_start: bool, documented: bool
) -> Decision[NoPolicy] | None:
    """Whether a dose of `medication` now is a second opioid agonist today without a prescriber's decision:
    a "needs_override" decision (its reason in words, its sources), else None. `taken_today`: the other
    medications given at the window today and taken (not voided or corrected to 0 mg); `low_dose_start`:
    that buprenorphine was a low-dose start's step (methadone alongside it is the method); `documented`: a
    prescriber's switch override for today. Buprenorphine after methadone is the start gate's (None here)."""
    if medication != METHADONE or BUPRENORPHINE not in set(taken_today) or low_dose_start or documented:
        return None
    reason = Reason.said(
        gettext_noop(
            "Buprenorphine was given here today. Methadone the same day is a second opioid agonist: a switch "
            "that a prescriber decides for the day (watch for sedation as the two add up). No methadone until "
            "a prescriber records a switch override for today, with the reason."
        ),
        SOURCES,
    )
    return Decision(RULE, VERSION, NEEDS_OVERRIDE, (reason,))
