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
    at `now` (`real_today`: later than `today` for a correction of an earlier day's dose)."""

    by: User
    patient: Patient
    today: date
    now: datetime
    total: Decimal
    ctx: DoseContext
    real_today: date


END_FIELDS = ["ended_on", "ended_by", "ended_at", "end_reason", "end_kind"]


def clear_end(plan: TakeHomePlan) -> None:
    """The plan's end cleared in memory (the caller saves `END_FIELDS`): its day, by, at, reason and stored
    kind go together (review 27a's note: a running plan never keeps an end's kind)."""
    plan.ended_on, plan.ended_by, plan.ended_at, plan.end_reason, plan.end_kind = None, None, None, "", ""
