"""The one change of a day's given methadone total every step of the redecision reads (`DayChange`, built
once by `dispatch`), and the plan's end fields a step clears or gives back together (`END_FIELDS`,
`clear_end`: review 27a's note, a running plan never keeps an end's kind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from keel.accounts.models import User
from keel.patients.models import Patient
from keel.treatment.models import TakeHomePlan
from keel.treatment.queries import DoseContext


@dataclass(frozen=True)
class DayChange:
    """One change of a day's given methadone total, as every step of `redecide_bottles` reads it: who made it
    (`by`), whose (`patient`), the dose's day (`today`), the change's instant (`now`), the day's total as it
    now stands (`total`), that day's dose context as the window read it (`ctx`), and the person's own today
    at `now` (`real_today`: later than `today` for a correction of an earlier day's dose); `at_window`: a
    dose given at the window (`hand_out_at_dose`), not a correction (lane fix30a: the words it says)."""

    by: User
    patient: Patient
    today: date
    now: datetime
    total: Decimal
    ctx: DoseContext
    real_today: date
    at_window: bool = False


END_FIELDS = ["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"]


def clear_end(plan: TakeHomePlan) -> None:
    """The plan's end cleared in memory (the caller saves `END_FIELDS`): its day, by, at, reason and stored
    kind go together (review 27a's note: a running plan never keeps an end's kind)."""
    plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = None, None, None, "", ""


def held_only(plan: TakeHomePlan) -> dict[str, object]:
    """Lane fix30a: what stays of `TakeHomePlan.earlier_end` when an earlier end is given back: the day of a
    hold that ended the plan (`held_on`, `holds._end_by_hold`), read by the call-back list."""
    return {k: v for k, v in (plan.earlier_end or {}).items() if k == "held_on"}
