"""An order for one medication written while another medication's order is active (lane switch39, review
38f): the prescriber chooses, never a silent default.

- "stop" (`STOP`): the other medication's order ends the day the new one starts (superseded by the switch,
  kept). A prescriber who switches a person from buprenorphine to methadone expects the buprenorphine to stop.
- "keep" (`KEEP`): both stay active. Only for the planned overlap the clinical reference names: a low-dose
  ("micro") buprenorphine start while methadone continues (reference 9.5, Hammig 2016: very small
  buprenorphine doses are started while the full agonist continues, and the full agonist is stopped once
  buprenorphine is high enough). Nothing else the reference sources plans two of these at once: a full-dose
  buprenorphine start meets precipitated withdrawal (9.6), and XR-naltrexone with an opioid agonist is a
  blockade (section 11), so anything else is refused with its reason and sources.

Plain Python: no Django.
"""

from __future__ import annotations

from typing import NamedTuple

from keel.core.decision import Reason
from keel.core.words import gettext_noop

FIELD = "other_order"
STOP, KEEP = "stop", "keep"
CHOICES = (STOP, KEEP)
METHADONE, BUPRENORPHINE = "methadone", "buprenorphine"
OVERLAP_SOURCES = ("hammig-2016", "reference-9.6")

NOT_A_CHOICE = gettext_noop("one of stop, keep")
NOT_PLANNED = gettext_noop(
    "Keeping both the %(other)s order and this %(medication)s order is not a planned overlap: the only one "
    "is a low-dose buprenorphine start while methadone continues (Hammig 2016). Otherwise two opioid "
    "agonists add up, or buprenorphine precipitates withdrawal, or XR-naltrexone blocks the agonist. Stop "
    "the %(other)s order, or write a low-dose start. Sources: %(cited)s."
)


class Held(NamedTuple):
    """An order in the choice: its medication and whether it is a low-dose start (a schedule of steps)."""

    medication: str
    low_dose: bool


def planned_overlap(new: Held, other: Held, *, methadone_continues: bool) -> bool:
    """Whether `new` beside `other` is the planned overlap: one a low-dose buprenorphine start, the other
    methadone that continues (`methadone_continues`: the new order is methadone only when it replaces an
    active methadone order, a dose change during the start; a methadone start beside it is not the
    method)."""
    if new.medication == BUPRENORPHINE and new.low_dose:
        return other.medication == METHADONE
    if new.medication == METHADONE and methadone_continues:
        return other.medication == BUPRENORPHINE and other.low_dose
    return False


def keep_both_refused(new: Held, other: Held, *, methadone_continues: bool) -> Reason | None:
    """Why keeping both `new` and `other` is refused (its reason and sources), None when it is planned."""
    if planned_overlap(new, other, methadone_continues=methadone_continues):
        return None
    return Reason.said(
        NOT_PLANNED,
        OVERLAP_SOURCES,
        other=other.medication,
        medication=new.medication,
        cited=", ".join(OVERLAP_SOURCES),
    )


# A methadone take-home bottle for a day on or after the switch (the order ends that day): kept back as the
# window keeps back a bottle it would block (`bottle_amounts`), the call-back naming any already at home.
SWITCHED_AWAY = gettext_noop(
    "The methadone order ends on %(day)s: the prescriber switched to another medication. No methadone "
    "take-home bottle for that day or after."
)
SWITCHED_SOURCES = ("keel-dose-follows-order",)


def switched_away(ends_on: str) -> Reason:
    """The reason a bottle for a day from `ends_on` (ISO) on is not handed out."""
    return Reason.said(SWITCHED_AWAY, SWITCHED_SOURCES, day=ends_on)
