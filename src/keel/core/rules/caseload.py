"""The order of a care team's morning list (journey 6): who to reach first, and why.

Keel's product rule (PRODUCT.md, journey 6), not a clinical standard: the caseload is ordered by risk
signals: reported use, missed doses, rising cravings, a positive suicide screen, silence for a week. Flags
keep the priority the early-warning rules gave them (`keel.core.rules.early_warning.PRIORITY`, 0 = highest;
flags from other places carry their own). Two signals are read live rather than from a flag:

- **missed observed doses**: days in a row, before today, with no observed dose and no take-home bottle, for
  a person with an active methadone order (the medication taken at the window every day); listed from
  `missed_days` (default 2, the same count as the early-warning rule's "medication missed 2 days running");
- **silence**: no check-in for `silent_days` days (default 7: "silence for a week") by a person who has
  checked in before.

Tiers: 0 = reach out now (a priority-0 flag), 1 = today (priority 1), 2 = soon (priority 2 or missed
doses), 3 = this week (priority 3 or longer, or silence), 4 = no signal. Inside a tier: more signals first,
then more missed days, then longer silence, then the oldest flag. So everyone with a signal (an open flag,
`missed_days` or more missed, `silent_days` or more silent) comes before everyone without one: the caseload
ranks the people who may have one first and the others only for a page past them (issue #21).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from keel.core.decision import Reason
from keel.core.episodes import MISS_LOOKBACK
from keel.core.words import gettext_noop as N_

SOURCES = ("keel-caseload",)
MISSED_DAYS = 2
SILENT_DAYS = 7
TIERS = ("now", "today", "soon", "this_week", "none")
MISSED_WORDS = N_("No observed dose for %(days)s days in a row")
NO_SIGNAL = TIERS.index("none")  # the last tier: no flag, fewer than `missed_days` missed, not silent


@dataclass(frozen=True)
class OpenFlag:
    kind: str
    label: str
    priority: int
    raised_at: datetime


@dataclass(frozen=True)
class Signals:
    flags: tuple[OpenFlag, ...] = ()
    missed_dose_days: int | None = None  # None: not on observed daily dosing (or not in view)
    days_since_checkin: int | None = None  # None: never checked in (or not in view)


@dataclass(frozen=True)
class Rank:
    tier: int
    reasons: tuple[Reason, ...]
    key: tuple[object, ...]  # sort key; lower comes first

    @property
    def tier_code(self) -> str:
        return TIERS[self.tier]


def _weigh(
    signals: Signals, missed_days: int, silent_days: int
) -> tuple[int, list[tuple[str, dict[str, str | int]]], tuple[object, ...]]:
    """The one definition of the rule: the tier, each reason as (template, params) in order, and the sort
    key. `rank` says the reasons; `rank_key` (the caseload's ranking pass over everyone, issue #21) keeps
    only the key."""
    said: list[tuple[str, dict[str, str | int]]] = []
    tier = NO_SIGNAL
    silent = signals.days_since_checkin
    quiet = silent is not None and silent >= silent_days
    oldest = float("inf")
    if signals.flags:  # most people have none: the ranking pass over everyone skips the sort
        for flag in sorted(signals.flags, key=lambda f: (f.priority, f.raised_at)):
            tier = min(tier, min(max(flag.priority, 0), 3))
            if not (quiet and flag.kind == "silence"):
                said.append((N_("%(flag)s (open flag)"), {"flag": flag.label}))
        oldest = min(f.raised_at.timestamp() for f in signals.flags)
    missed = signals.missed_dose_days or 0
    if missed >= missed_days:
        tier = min(tier, 2)
        # lane fix35e (review 35e H5): the count stops at the look-back: its cap is said as "or more"
        capped = missed >= MISS_LOOKBACK
        words = N_("No observed dose for %(days)s days or more in a row") if capped else MISSED_WORDS
        said.append((words, {"days": missed}))
    if quiet:
        tier = min(tier, 3)
        said.append((N_("No check-in for %(days)s days"), {"days": silent or 0}))
    return tier, said, (tier, -len(said), -missed, -(silent or 0), oldest)


def rank(signals: Signals, *, missed_days: int = MISSED_DAYS, silent_days: int = SILENT_DAYS) -> Rank:
    """Where one person goes in the list, with a reason for each signal (an open silence flag and a week
    without a check-in are one signal, said with its days)."""
    tier, said, key = _weigh(signals, missed_days, silent_days)
    return Rank(tier, tuple(Reason.said(template, SOURCES, **params) for template, params in said), key)


def rank_key(
    signals: Signals, *, missed_days: int = MISSED_DAYS, silent_days: int = SILENT_DAYS
) -> tuple[object, ...]:
    """`rank(signals).key` without saying the reasons (the same rule, `_weigh`)."""
    return _weigh(signals, missed_days, silent_days)[2]
