"""Lane fix32a (review 32a hole 1): a day's methadone dose history read as a clinician reads it, from the
record (the doses given that day and every amendment of them, in the order they were made), never from the
words an end wrote before. A correction's words say what was done to the dose: "corrected down", "voided",
"corrected to 0 mg" are different clinical stories (a 0 mg day is a missed dose: missed-dose and
re-induction thinking), so they are read from the totals the day actually stood at.

`DoseStep` is one change of the day's total (a dose recorded, an amendment of it); `day_totals` the total
after each; `low_before` the low point the dose now stands back up from (down, voided, zero), or None when
the newest change leaves the day at or below every earlier total since its last rise (a correction down,
never told as "back up": lane fix33a, review 32d hole 1, a void then back up then down is a correction
down); `lowered_from` what a dose that stands was lowered from before, wherever it lies in the day (the
words of an end that stands after a correction the window allows)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

LowPoint = Literal["down", "voided", "zero"]


@dataclass(frozen=True)
class DoseStep:
    """One change of a day's given methadone: a dose recorded (`dose` its id, `mg` its amount) or an
    amendment of it (`mg` the corrected amount; None: voided), made at `at`."""

    at: datetime
    dose: int
    mg: Decimal | None


def day_totals(steps: Iterable[DoseStep]) -> list[tuple[Decimal, bool]]:
    """The day's total after each step, in the order made (a stable sort by instant: steps of the same instant
    keep the caller's order), and whether that step was a void."""
    standing: dict[int, Decimal] = {}
    totals: list[tuple[Decimal, bool]] = []
    for step in sorted(steps, key=lambda s: s.at):
        standing[step.dose] = step.mg if step.mg is not None else Decimal(0)
        totals.append((sum(standing.values(), Decimal(0)), step.mg is None))
    return totals


def low_before(steps: Iterable[DoseStep]) -> LowPoint | None:
    """What the day's dose stands back up from after its newest step, looking back only since its last rise:
    the newest step raises the total (a correction up, a dose or a later part given), and the latest earlier
    total below the one that stands now is read as "voided" (a void left nothing given), "zero" (corrected
    to 0 mg) or "down" (a lower total above 0). None: the newest step leaves the total at or below the one
    before it, so at or below every total since the last rise (a correction down, whatever lower totals came
    before that rise: lane fix33a, review 32d hole 1, 80 -> void -> 80 -> 40 is a correction down), or the
    dose never went below it: the dose is not "back up" from anything."""
    totals = day_totals(steps)
    if len(totals) < 2 or totals[-1][0] <= totals[-2][0]:
        return None
    return _latest_below(totals)


def lowered_from(steps: Iterable[DoseStep]) -> LowPoint | None:
    """Lane fix33a: the latest earlier total below the one that stands, wherever it lies in the day's history
    (before the last rise too), read as `low_before` reads it: what a dose that stands now was lowered from
    at some point (80 -> void -> 80 -> 75: "voided"). None: it never stood lower. The words of an end that
    stands whatever the newest step was; whether the dose is "back up" now is `low_before`'s."""
    return _latest_below(day_totals(steps))


def _latest_below(totals: list[tuple[Decimal, bool]]) -> LowPoint | None:
    """The latest total before the last one below it, as a low point; None: none is below it."""
    if len(totals) < 2:
        return None
    now = totals[-1][0]
    for total, voided in reversed(totals[:-1]):
        if total < now:
            if total > 0:
                return "down"
            return "voided" if voided else "zero"
    return None
